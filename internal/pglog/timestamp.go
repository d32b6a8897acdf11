package pglog

import (
	"time"
)

// zoneOffsets are the abbreviations PostgreSQL prints for common
// log_timezone settings, with their offsets in seconds east of UTC. An
// abbreviation that is neither here nor the caller's Location's own is
// read as UTC and counted in Stats.UnknownZones. Ambiguous ones (IST, CST
// outside North America) are left to the Location.
var zoneOffsets = map[string]int{
	"UTC": 0, "GMT": 0, "UCT": 0, "UT": 0, "Z": 0, "WET": 0,
	"WEST": 3600, "BST": 3600, "CET": 3600, "MET": 3600,
	"CEST": 7200, "MEST": 7200, "EET": 7200, "SAST": 7200,
	"EEST": 10800, "MSK": 10800,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"AST": -4 * 3600, "ADT": -3 * 3600, "NST": -12600, "NDT": -9000,
	"JST": 9 * 3600, "KST": 9 * 3600, "HKT": 8 * 3600, "AWST": 8 * 3600,
	"ACST": 34200, "ACDT": 37800, "AEST": 10 * 3600, "AEDT": 11 * 3600,
	"NZST": 12 * 3600, "NZDT": 13 * 3600,
}

// timeParser reads PostgreSQL's log timestamps, "2026-12-04 15:11:58.345
// UTC" (csvlog, jsonlog, %m, %t, %s) and "1733325108.345" (%n), caching
// the start of the current minute so most records cost a few compares.
type timeParser struct {
	loc *time.Location
	// key is the "YYYY-MM-DD HH:MM" and zone of the cached minute.
	key     [16]byte
	zone    string
	base    int64
	valid   bool
	unknown bool
}

// parse returns the UTC time of b. unknownZone is set when the zone
// abbreviation could not be resolved and UTC was assumed.
func (tp *timeParser) parse(b []byte) (t time.Time, unknownZone, ok bool) {
	if len(b) >= 10 && b[4] != '-' {
		return parseEpoch(b)
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' ||
		b[16] != ':' {
		return time.Time{}, false, false
	}
	sec, ok := num(b[17:19])
	if !ok || sec > 60 {
		return time.Time{}, false, false
	}
	i := 19
	var nanos int64
	if i < len(b) && b[i] == '.' {
		j := i + 1
		scale := int64(100_000_000)
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			nanos += int64(b[j]-'0') * scale
			scale /= 10
			j++
		}
		if j == i+1 {
			return time.Time{}, false, false
		}
		i = j
	}
	var zone []byte
	if i < len(b) {
		if b[i] != ' ' {
			return time.Time{}, false, false
		}
		zone = b[i+1:]
	}
	if !tp.valid || string(b[:16]) != string(tp.key[:]) || string(zone) != tp.zone {
		if !tp.minute(b[:16], zone) {
			return time.Time{}, false, false
		}
	}
	return time.Unix(tp.base+int64(sec), nanos).UTC(), tp.unknown, true
}

// minute computes and caches the Unix time of the start of a minute.
func (tp *timeParser) minute(ymdhm, zone []byte) bool {
	y, ok1 := num(ymdhm[0:4])
	mo, ok2 := num(ymdhm[5:7])
	d, ok3 := num(ymdhm[8:10])
	h, ok4 := num(ymdhm[11:13])
	mi, ok5 := num(ymdhm[14:16])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
		h > 23 || mi > 59 {
		return false
	}
	off, unknown, ok := tp.offset(zone, y, mo, d, h, mi)
	if !ok {
		return false
	}
	wall := time.Date(y, time.Month(mo), d, h, mi, 0, 0, time.UTC).Unix()
	copy(tp.key[:], ymdhm)
	tp.zone = string(zone)
	tp.base = wall - int64(off)
	tp.unknown = unknown
	tp.valid = true
	return true
}

// offset resolves a zone: numeric (+03, -0330, +05:30), a known
// abbreviation, or the caller's Location's abbreviation at that time.
func (tp *timeParser) offset(zone []byte, y, mo, d, h, mi int) (off int, unknown, ok bool) {
	if len(zone) == 0 {
		_, off := time.Date(y, time.Month(mo), d, h, mi, 0, 0, tp.location()).Zone()
		return off, false, true
	}
	if zone[0] == '+' || zone[0] == '-' {
		off, ok := numericZone(zone)
		return off, false, ok
	}
	for _, c := range zone {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return 0, false, false
		}
	}
	if tp.loc != nil {
		for _, shift := range [...]int{0, -1, 1} {
			t := time.Date(y, time.Month(mo), d, h+shift, mi, 0, 0, tp.loc)
			if name, off := t.Zone(); name == string(zone) {
				return off, false, true
			}
		}
	}
	if off, found := zoneOffsets[string(zone)]; found {
		return off, false, true
	}
	return 0, true, true
}

func (tp *timeParser) location() *time.Location {
	if tp.loc == nil {
		return time.UTC
	}
	return tp.loc
}

// numericZone reads +HH, +HHMM or +HH:MM.
func numericZone(z []byte) (int, bool) {
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	z = z[1:]
	var hh, mm int
	var ok bool
	switch len(z) {
	case 2:
		hh, ok = num(z)
	case 4:
		var ok2 bool
		hh, ok = num(z[:2])
		mm, ok2 = num(z[2:])
		ok = ok && ok2
	case 5:
		var ok2 bool
		hh, ok = num(z[:2])
		mm, ok2 = num(z[3:])
		ok = ok && ok2 && z[2] == ':'
	}
	if !ok || hh > 15 || mm > 59 {
		return 0, false
	}
	return sign * (hh*3600 + mm*60), true
}

// parseEpoch reads %n, seconds since the epoch with milliseconds.
func parseEpoch(b []byte) (time.Time, bool, bool) {
	var secs, nanos int64
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		secs = secs*10 + int64(b[i]-'0')
		i++
		if i > 12 {
			return time.Time{}, false, false
		}
	}
	if i == 0 {
		return time.Time{}, false, false
	}
	if i < len(b) && b[i] == '.' {
		scale := int64(100_000_000)
		for i++; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			nanos += int64(b[i]-'0') * scale
			scale /= 10
		}
	}
	if i != len(b) {
		return time.Time{}, false, false
	}
	return time.Unix(secs, nanos).UTC(), false, true
}

// num reads a short run of ASCII digits.
func num(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
