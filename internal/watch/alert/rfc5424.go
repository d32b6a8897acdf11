package alert

import (
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// SDID is the SD-ID of ward's structured data element. RFC 5424 asks for
// name@PEN with an IANA private enterprise number; ward has none, so it
// uses 32473, the number RFC 5612 reserves for documentation and examples.
const SDID = "ward@32473"

// Syslog facilities (RFC 5424 §6.2.1) that suit security alerts.
const (
	FacilityAuth     = 4
	FacilityAuthPriv = 10
	FacilityLocal0   = 16
)

// Header holds the fields of a syslog message that do not come from the
// alert.
type Header struct {
	// Facility is 0-23; values outside are taken as FacilityAuthPriv.
	Facility int
	// Hostname, AppName and ProcID are cleaned to printable ASCII and cut
	// to their RFC 5424 lengths; empty ones are written as "-".
	Hostname string
	AppName  string
	ProcID   string
}

// syslogSeverity maps ward's severities to RFC 5424 severities:
// critical→2 (critical), high→3 (error), medium→4 (warning), low→5
// (notice), info→6 (informational).
func syslogSeverity(s inventory.Severity) int {
	switch s {
	case inventory.SeverityCritical:
		return 2
	case inventory.SeverityHigh:
		return 3
	case inventory.SeverityMedium:
		return 4
	case inventory.SeverityLow:
		return 5
	}
	return 6
}

// FormatRFC5424 writes a as one RFC 5424 message: the header from h, the
// alert's detector as MSGID, its fields as one structured data element
// (SDID) and its summary as a UTF-8 MSG (with the BOM the RFC asks for).
// The timestamp is when the alert was raised, in UTC with microseconds.
func FormatRFC5424(h Header, a Alert) []byte {
	fac := h.Facility
	if fac < 0 || fac > 23 {
		fac = FacilityAuthPriv
	}
	var b strings.Builder
	b.Grow(512)
	b.WriteByte('<')
	b.WriteString(strconv.Itoa(fac*8 + syslogSeverity(a.Severity)))
	b.WriteString(">1 ")
	b.WriteString(timestamp(a.Raised))
	for _, f := range []struct {
		v   string
		max int
	}{{h.Hostname, 255}, {h.AppName, 48}, {h.ProcID, 128}, {a.Detector, 32}} {
		b.WriteByte(' ')
		b.WriteString(headerField(f.v, f.max))
	}
	b.WriteByte(' ')
	writeSD(&b, a)
	if a.Summary != "" {
		b.WriteString(" \xef\xbb\xbf")
		b.WriteString(strings.Map(noControl, strings.ToValidUTF8(a.Summary, "\uFFFD")))
	}
	return []byte(b.String())
}

// timestamp formats t as an RFC 5424 TIMESTAMP (at most six fraction
// digits), or "-" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// headerField keeps the printable ASCII of s (PRINTUSASCII, 33-126), cut
// to max bytes, or "-" (NILVALUE) when nothing is left.
func headerField(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		if c := s[i]; c >= 33 && c <= 126 {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// sdParams lists the alert's fields as SD-PARAMs, empty ones left out.
func sdParams(a Alert) [][2]string {
	ps := [][2]string{
		{"id", a.ID}, {"detector", a.Detector}, {"severity", string(a.Severity)},
		{"source", a.Source}, {"account", a.Account}, {"user", a.User},
		{"kind", string(a.Kind)}, {"key", a.Key}, {"count", strconv.Itoa(a.Count)},
		{"group_of", a.GroupOf}, {"database", a.Database}, {"client_addr", a.ClientAddr},
		{"application", a.Application}, {"object_type", a.ObjectType}, {"object", a.Object},
		{"command", a.Command}, {"outcome", string(a.Outcome)}, {"session_id", a.SessionID},
		{"targets", strings.Join(a.Targets, ",")},
		{"file", a.Pos.File},
	}
	if !a.Time.IsZero() {
		ps = append(ps, [2]string{"event_time", timestamp(a.Time)})
	}
	if a.HourUTC != nil {
		ps = append(ps, [2]string{"hour_utc", strconv.Itoa(*a.HourUTC)})
	}
	for _, n := range []struct {
		k string
		v int64
	}{{"observed", int64(a.Observed)}, {"threshold", int64(a.Threshold)},
		{"offset", a.Pos.Offset}, {"line", a.Pos.Line}} {
		if n.v != 0 {
			ps = append(ps, [2]string{n.k, strconv.FormatInt(n.v, 10)})
		}
	}
	out := ps[:0]
	for _, p := range ps {
		if p[1] != "" {
			out = append(out, p)
		}
	}
	return out
}

// writeSD writes the structured data element of a.
func writeSD(b *strings.Builder, a Alert) {
	b.WriteByte('[')
	b.WriteString(SDID)
	for _, p := range sdParams(a) {
		b.WriteByte(' ')
		b.WriteString(p[0])
		b.WriteString(`="`)
		writeParamValue(b, p[1])
		b.WriteByte('"')
	}
	b.WriteByte(']')
}

// writeParamValue writes s as a PARAM-VALUE: valid UTF-8, control
// characters replaced by spaces, and '"', '\' and ']' escaped with '\'.
func writeParamValue(b *strings.Builder, s string) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for _, r := range s {
		switch r {
		case '"', '\\', ']':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(noControl(r))
		}
	}
}

// noControl replaces a control character by a space.
func noControl(r rune) rune {
	if r < 0x20 || (r >= 0x7f && r < 0xa0) {
		return ' '
	}
	return r
}
