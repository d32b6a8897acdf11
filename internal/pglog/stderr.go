package pglog

import (
	"bytes"
	"context"
	"errors"
)

// prefixState is the log_line_prefix in force for stderr logs and the
// ones seen before it, which backends that have not yet reloaded their
// configuration still write for a moment.
type prefixState struct {
	cur        *prefixMatcher
	history    []*prefixMatcher
	candidates []*prefixMatcher
}

const maxPrefixHistory = 4

// switchTo makes m the current prefix.
func (ps *prefixState) switchTo(m *prefixMatcher) {
	if ps.cur != nil && ps.cur != m {
		ps.history = append(ps.history, ps.cur)
		if len(ps.history) > maxPrefixHistory {
			ps.history = ps.history[1:]
		}
	}
	ps.cur = m
}

// matchLine finds the prefix that matches line: the current one, the one
// a "parameter "log_line_prefix" changed" line announces, a recent one,
// or a common one. It returns nil when none does.
func (ps *prefixState) matchLine(line []byte, f *prefixFields) *prefixMatcher {
	if ps.cur != nil && ps.cur.match(line, f) {
		// A postmaster line stops at %q, so the line announcing a new
		// prefix can match the old one too.
		if bytes.HasPrefix(line[f.msg:], []byte(prefixMarker)) {
			if v, ok := prefixChange(line); ok {
				if m, err := compilePrefix(v); err == nil {
					cur := ps.cur
					ps.switchTo(m)
					return cur
				}
			}
		}
		return ps.cur
	}
	if v, ok := prefixChange(line); ok {
		if m, err := compilePrefix(v); err == nil && m.match(line, f) {
			ps.switchTo(m)
			return m
		}
	}
	for i := len(ps.history) - 1; i >= 0; i-- {
		if ps.history[i].match(line, f) {
			return ps.history[i]
		}
	}
	for _, c := range ps.candidates {
		if c.match(line, f) {
			ps.switchTo(c)
			return c
		}
	}
	return nil
}

// initPrefix sets the first prefix: the caller's, or the best common one
// over the first lines of the file.
func (p *Parser) initPrefix(rd *reader) {
	ps := &p.prefix
	if ps.candidates == nil {
		for _, c := range commonPrefixes {
			if m, err := compilePrefix(c); err == nil {
				ps.candidates = append(ps.candidates, m)
			}
		}
	}
	if ps.cur != nil {
		return
	}
	for len(rd.data()) < 64<<10 && rd.more() {
	}
	var sample [][]byte
	for _, l := range bytes.Split(rd.data(), []byte{'\n'}) {
		if len(l) > 0 && l[0] != '\t' {
			sample = append(sample, l)
		}
		if len(sample) == 200 {
			break
		}
	}
	if m, ok := inferPrefix(sample, commonPrefixes); ok {
		ps.cur = m
	}
}

// part is one line of a stderr record (the message, or a DETAIL,
// STATEMENT… line) with its continuation lines.
type part struct {
	sev        []byte
	start, end int
}

// runStderr reads stderr records.
func (p *Parser) runStderr(ctx context.Context, rd *reader) error {
	p.initPrefix(rd)
	var rec record
	for {
		if len(rd.data()) == 0 && !rd.more() {
			return nil
		}
		n, ok, err := p.scanGroup(rd.data(), rd.eof, &rec)
		switch {
		case errors.Is(err, errIncomplete):
			if rd.full() {
				p.skip(p.pos(rd), "record too long")
				rd.skipLine()
			} else if !rd.more() && !rd.eof {
				return nil
			}
			continue
		case !ok:
			if n := blankPrefix(rd.data()); n > 0 {
				rd.consume(n)
				continue
			}
			p.skip(p.pos(rd), "unknown line")
			if err := p.scanSkipped(rd); err != nil {
				return err
			}
			continue
		}
		rec.pos = p.pos(rd)
		p.stats.Records++
		if err := p.handle(&rec); err != nil {
			return err
		}
		rd.consume(n)
		if err := checkCtx(ctx, p.stats.Records); err != nil {
			return err
		}
	}
}

// blankPrefix returns the length of a line of spaces at the start of data
// (newline included), 0 if the first line is not blank.
func blankPrefix(data []byte) int {
	for i, c := range data {
		switch c {
		case '\n':
			return i + 1
		case ' ', '\t', '\r':
		default:
			return 0
		}
	}
	return 0
}

// lineEnd returns the end of the line starting at data[i] (before any
// CR LF) and the start of the next one.
func lineEnd(data []byte, i int, atEOF bool) (end, next int, err error) {
	k := bytes.IndexByte(data[i:], '\n')
	if k < 0 {
		if !atEOF {
			return 0, 0, errIncomplete
		}
		return len(data), len(data), nil
	}
	end = i + k
	if end > i && data[end-1] == '\r' {
		end--
	}
	return end, i + k + 1, nil
}

// isPart reports whether sev starts a line that belongs to the message
// before it.
func isPart(sev []byte) bool {
	switch string(sev) {
	case "DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION":
		return true
	}
	return false
}

// lookahead is how much of an incomplete next line is enough to match its
// prefix and severity.
const lookahead = 4 << 10

// scanGroup reads one stderr record at the start of data: its first line,
// TAB continuation lines, and the DETAIL/HINT/CONTEXT/STATEMENT/QUERY
// lines of the same process that follow. ok is false when the first line
// matches no prefix (n is then 0).
func (p *Parser) scanGroup(data []byte, atEOF bool, rec *record) (n int, ok bool, err error) {
	end, next, err := lineEnd(data, 0, atEOF)
	if err != nil {
		return 0, false, err
	}
	var f prefixFields
	m := p.prefix.matchLine(data[:end], &f)
	if m == nil {
		return 0, false, nil
	}
	parts := [8]part{{sev: f.sev, start: f.msg, end: end}}
	np := 1
	pos := next
	var g prefixFields
	for {
		for pos < len(data) && data[pos] == '\t' {
			e, nx, err := lineEnd(data, pos, atEOF)
			if err != nil {
				return 0, false, err
			}
			parts[np-1].end = e
			pos = nx
		}
		if pos >= len(data) {
			if !atEOF {
				return 0, false, errIncomplete
			}
			break
		}
		e, nx, err := lineEnd(data, pos, atEOF)
		if err != nil {
			// The next line is not complete; its start is enough to
			// tell whether it belongs here, once it holds a prefix.
			if len(data)-pos < lookahead {
				return 0, false, err
			}
			if !m.match(data[pos:pos+lookahead], &g) || !isPart(g.sev) ||
				!bytes.Equal(g.pid, f.pid) {
				break
			}
			return 0, false, err
		}
		if np == len(parts) || !m.match(data[pos:e], &g) || !isPart(g.sev) ||
			!bytes.Equal(g.pid, f.pid) {
			break
		}
		parts[np] = part{sev: g.sev, start: pos + g.msg, end: e}
		np++
		pos = nx
	}
	p.fromStderr(rec, data, &f, parts[:np])
	return pos, true, nil
}

// fromStderr fills rec from a matched group; the texts are joined in
// place (continuation TABs dropped).
func (p *Parser) fromStderr(rec *record, data []byte, f *prefixFields, parts []part) {
	*rec = record{stderr: true}
	if len(f.time) > 0 {
		t, unknown, ok := p.times.parse(f.time)
		if ok {
			rec.time, rec.unknownZone = t, unknown
		}
	}
	if len(f.start) > 0 {
		if t, _, ok := p.times.parse(f.start); ok {
			rec.start = t
		}
	}
	rec.pid = atoi(f.pid)
	rec.user, rec.db, rec.app = unknown(f.user), unknown(f.db), unknown(f.app)
	rec.host = f.host
	if len(f.remote) > 0 {
		rec.host, rec.port = splitRemote(f.remote)
	}
	rec.host = unknown(rec.host)
	rec.session = f.session
	rec.sqlstate = f.sqlstate
	rec.sev = f.sev
	for i, pt := range parts {
		text := joinContinuation(data[pt.start:pt.end])
		if i == 0 {
			rec.message = text
			continue
		}
		switch string(pt.sev) {
		case "DETAIL":
			rec.detail = text
		case "HINT":
			rec.hint = text
		case "CONTEXT":
			rec.context = text
		case "STATEMENT":
			rec.query = text
		case "QUERY":
			rec.internal = text
		}
	}
	rec.message = trimVerbose(rec, trimCursor(rec.message))
}

// joinContinuation removes, in place, the TAB that starts each
// continuation line, and the CR of CR LF line ends.
func joinContinuation(b []byte) []byte {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return b
	}
	w := 0
	for r := 0; r < len(b); r++ {
		c := b[r]
		if c == '\r' && r+1 < len(b) && b[r+1] == '\n' {
			continue
		}
		b[w] = c
		w++
		if c == '\n' && r+1 < len(b) && b[r+1] == '\t' {
			r++
		}
	}
	return b[:w]
}

// trimCursor removes the " at character N" that stderr adds to a message
// with a cursor position (csvlog and jsonlog keep it in its own field).
func trimCursor(msg []byte) []byte {
	const marker = " at character "
	i := bytes.LastIndex(msg, []byte(marker))
	if i < 0 {
		return msg
	}
	rest := msg[i+len(marker):]
	if len(rest) == 0 || digits(rest, 0) != len(rest) {
		return msg
	}
	return msg[:i]
}

// trimVerbose strips the "SQLSTATE: " that log_error_verbosity=verbose
// puts before the message, keeping the code.
func trimVerbose(rec *record, msg []byte) []byte {
	if len(msg) < 7 || msg[5] != ':' || msg[6] != ' ' {
		return msg
	}
	digit := false
	for _, c := range msg[:5] {
		if c >= '0' && c <= '9' {
			digit = true
		} else if c < 'A' || c > 'Z' {
			return msg
		}
	}
	if !digit {
		return msg
	}
	if len(rec.sqlstate) == 0 {
		rec.sqlstate = msg[:5]
	}
	return msg[7:]
}
