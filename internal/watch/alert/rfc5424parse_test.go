package alert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// syslogMsg is a message read by parseRFC5424.
type syslogMsg struct {
	Pri       int
	Version   int
	Timestamp string
	Hostname  string
	AppName   string
	ProcID    string
	MsgID     string
	// SD maps SD-ID to its params (unescaped), in order of appearance.
	SD    map[string][][2]string
	SDIDs []string
	Msg   string
	BOM   bool
}

// param returns the first value of name in element id.
func (m *syslogMsg) param(id, name string) (string, bool) {
	for _, p := range m.SD[id] {
		if p[0] == name {
			return p[1], true
		}
	}
	return "", false
}

// parseRFC5424 reads one message by the ABNF of RFC 5424 §6, strictly:
// any deviation is an error naming where it is. It is written from the
// RFC, independently of the formatter, so that the two check each other.
func parseRFC5424(data []byte) (*syslogMsg, error) {
	p := &rfcParser{s: data}
	m := &syslogMsg{SD: map[string][][2]string{}}
	if err := p.header(m); err != nil {
		return nil, err
	}
	if err := p.sp(); err != nil {
		return nil, err
	}
	if err := p.structuredData(m); err != nil {
		return nil, err
	}
	if p.i == len(p.s) {
		return m, nil
	}
	if err := p.sp(); err != nil {
		return nil, err
	}
	rest := p.s[p.i:]
	if len(rest) >= 3 && string(rest[:3]) == "\xef\xbb\xbf" {
		m.BOM = true
		rest = rest[3:]
		if !utf8.Valid(rest) {
			return nil, errors.New("MSG-UTF8 is not valid UTF-8")
		}
	}
	m.Msg = string(rest)
	return m, nil
}

type rfcParser struct {
	s []byte
	i int
}

func (p *rfcParser) fail(what string) error {
	return fmt.Errorf("at byte %d: %s", p.i, what)
}

func (p *rfcParser) sp() error {
	if p.i >= len(p.s) || p.s[p.i] != ' ' {
		return p.fail("expected SP")
	}
	p.i++
	return nil
}

func (p *rfcParser) header(m *syslogMsg) error {
	if p.i >= len(p.s) || p.s[p.i] != '<' {
		return p.fail("expected '<' of PRI")
	}
	p.i++
	start := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) && p.i-start < 3 {
		p.i++
	}
	digits := string(p.s[start:p.i])
	if digits == "" || p.i >= len(p.s) || p.s[p.i] != '>' {
		return p.fail("PRIVAL must be 1-3 digits then '>'")
	}
	if len(digits) > 1 && digits[0] == '0' {
		return p.fail("PRIVAL has a leading zero")
	}
	m.Pri, _ = strconv.Atoi(digits)
	if m.Pri > 191 {
		return p.fail("PRIVAL above 191")
	}
	p.i++
	if p.i >= len(p.s) || p.s[p.i] < '1' || p.s[p.i] > '9' {
		return p.fail("VERSION must start with a non-zero digit")
	}
	vs := p.i
	for p.i < len(p.s) && isDigit(p.s[p.i]) && p.i-vs < 3 {
		p.i++
	}
	m.Version, _ = strconv.Atoi(string(p.s[vs:p.i]))
	fields := []struct {
		dst *string
		max int
	}{{&m.Timestamp, 0}, {&m.Hostname, 255}, {&m.AppName, 48}, {&m.ProcID, 128},
		{&m.MsgID, 32}}
	for _, f := range fields {
		if err := p.sp(); err != nil {
			return err
		}
		tok := p.token()
		if tok == "" {
			return p.fail("empty header field")
		}
		if f.max == 0 {
			if err := checkTimestamp(tok); err != nil {
				return p.fail(err.Error())
			}
		} else if len(tok) > f.max {
			return p.fail(fmt.Sprintf("header field longer than %d", f.max))
		}
		*f.dst = tok
	}
	return nil
}

// token reads PRINTUSASCII up to the next SP or the end.
func (p *rfcParser) token() string {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= 33 && p.s[p.i] <= 126 {
		p.i++
	}
	return string(p.s[start:p.i])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// checkTimestamp checks TIMESTAMP: NILVALUE or FULL-DATE "T" FULL-TIME
// with at most six fraction digits and an offset of Z or +hh:mm.
func checkTimestamp(ts string) error {
	if ts == "-" {
		return nil
	}
	digits := func(s string, n int) bool {
		if len(s) != n {
			return false
		}
		for i := 0; i < n; i++ {
			if !isDigit(s[i]) {
				return false
			}
		}
		return true
	}
	if len(ts) < 20 || !digits(ts[0:4], 4) || ts[4] != '-' || !digits(ts[5:7], 2) ||
		ts[7] != '-' || !digits(ts[8:10], 2) || ts[10] != 'T' || !digits(ts[11:13], 2) ||
		ts[13] != ':' || !digits(ts[14:16], 2) || ts[16] != ':' || !digits(ts[17:19], 2) {
		return errors.New("TIMESTAMP is not FULL-DATE T PARTIAL-TIME")
	}
	rest := ts[19:]
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 || n > 7 {
			return errors.New("TIME-SECFRAC must have 1 to 6 digits")
		}
		rest = rest[n:]
	}
	if rest == "Z" {
		return nil
	}
	if len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && digits(rest[1:3], 2) &&
		rest[3] == ':' && digits(rest[4:6], 2) {
		return nil
	}
	return errors.New("TIME-OFFSET must be Z or +hh:mm")
}

func (p *rfcParser) structuredData(m *syslogMsg) error {
	if p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
		return nil
	}
	if p.i >= len(p.s) || p.s[p.i] != '[' {
		return p.fail("STRUCTURED-DATA must be '-' or SD-ELEMENTs")
	}
	for p.i < len(p.s) && p.s[p.i] == '[' {
		p.i++
		id, err := p.sdName()
		if err != nil {
			return err
		}
		if _, dup := m.SD[id]; dup {
			return p.fail("SD-ID " + id + " repeated")
		}
		m.SDIDs = append(m.SDIDs, id)
		m.SD[id] = [][2]string{}
		for p.i < len(p.s) && p.s[p.i] == ' ' {
			p.i++
			name, err := p.sdName()
			if err != nil {
				return err
			}
			if p.i+1 >= len(p.s) || p.s[p.i] != '=' || p.s[p.i+1] != '"' {
				return p.fail(`expected =" after PARAM-NAME`)
			}
			p.i += 2
			val, err := p.paramValue()
			if err != nil {
				return err
			}
			m.SD[id] = append(m.SD[id], [2]string{name, val})
		}
		if p.i >= len(p.s) || p.s[p.i] != ']' {
			return p.fail("expected ']' closing SD-ELEMENT")
		}
		p.i++
	}
	return nil
}

// sdName reads SD-NAME: 1-32 PRINTUSASCII except '=', SP, ']' and '"'.
func (p *rfcParser) sdName() (string, error) {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c < 33 || c > 126 || c == '=' || c == ']' || c == '"' {
			break
		}
		p.i++
	}
	n := p.i - start
	if n == 0 || n > 32 {
		return "", p.fail("SD-NAME must have 1 to 32 characters")
	}
	return string(p.s[start:p.i]), nil
}

// paramValue reads PARAM-VALUE up to its closing quote, requiring '"',
// '\' and ']' to be escaped and the text to be UTF-8.
func (p *rfcParser) paramValue() (string, error) {
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			if !utf8.ValidString(b.String()) {
				return "", p.fail("PARAM-VALUE is not UTF-8")
			}
			return b.String(), nil
		case ']':
			return "", p.fail("unescaped ']' in PARAM-VALUE")
		case '\\':
			if p.i+1 < len(p.s) {
				if n := p.s[p.i+1]; n == '"' || n == '\\' || n == ']' {
					b.WriteByte(n)
					p.i += 2
					continue
				}
			}
			// RFC 5424 §6.3.3: a backslash before any other character
			// is kept as it is; the formatter never writes one.
			return "", p.fail("lone backslash in PARAM-VALUE")
		}
		b.WriteByte(c)
		p.i++
	}
	return "", p.fail("PARAM-VALUE not closed")
}
