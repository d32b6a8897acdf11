// Package hba parses pg_hba.conf, PostgreSQL's client authentication file,
// into the rules ward evaluates. It is the fallback for scanners that may not
// read the pg_hba_file_rules view: the result has the same shape as the view
// (a CIDR address is split into address and netmask, keywords stay as text).
//
// The parser follows the server's tokenizer: whitespace separates fields,
// commas join the items of a list, double quotes protect spaces, commas and
// keywords ("all" quoted is a database named all, and keeps its quotes in
// the result, where PostgreSQL 15's view drops them), "" inside quotes is a
// literal quote, # starts a comment, and a line ending in a backslash
// continues on the next line (PostgreSQL 16+). +group and @file items are
// kept as written; @file is not expanded. include, include_if_exists and
// include_dir directives are not followed: they are reported as notes.
//
// Parse never fails and never panics: a line it cannot understand becomes a
// rule whose Error says why, as the view's error column does.
package hba

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// File is a parsed pg_hba.conf.
type File struct {
	// Rules are the records in file order, including the invalid ones.
	Rules []inventory.HBARule
	// Notes say what the parser saw but did not act on, such as include
	// directives.
	Notes []string
}

// connection types a record may start with.
var connTypes = map[string]bool{
	"local": true, "host": true, "hostssl": true, "hostnossl": true,
	"hostgssenc": true, "hostnogssenc": true,
}

// methods PostgreSQL accepts in the method field.
var methods = map[string]bool{
	"trust": true, "reject": true, "md5": true, "password": true,
	"scram-sha-256": true, "gss": true, "sspi": true, "ident": true,
	"peer": true, "pam": true, "ldap": true, "radius": true, "cert": true,
}

// keywords that lose their meaning when quoted, in list fields.
var listKeywords = map[string]bool{
	"all": true, "sameuser": true, "samerole": true, "samegroup": true,
	"replication": true,
}

// token is one item of a field.
type token struct {
	text   string
	quoted bool
}

// field is a comma-separated list of tokens.
type field []token

// Parse reads the text of a pg_hba.conf file.
func Parse(src []byte) File {
	var f File
	for _, ln := range joinContinuations(string(src)) {
		fields := splitFields(ln.text)
		if len(fields) == 0 {
			continue
		}
		if kw := fields[0][0]; !kw.quoted && isInclude(kw.text) {
			f.Notes = append(f.Notes, fmt.Sprintf(
				"line %d: %s directive not followed: ward reads only this file; "+
					"give ward a copy with the included rules inlined", ln.number, kw.text))
			continue
		}
		f.Rules = append(f.Rules, parseRecord(ln.number, fields))
	}
	return f
}

func isInclude(s string) bool {
	return s == "include" || s == "include_if_exists" || s == "include_dir"
}

// logicalLine is a record's text after continuation lines were joined, with
// the number of its first physical line.
type logicalLine struct {
	number int
	text   string
}

func joinContinuations(src string) []logicalLine {
	var out []logicalLine
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(src, "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(raw, `\`) {
			cur.WriteString(strings.TrimSuffix(raw, `\`))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(raw)
		out = append(out, logicalLine{number: start, text: cur.String()})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, logicalLine{number: start, text: cur.String()})
	}
	return out
}

// splitFields tokenizes one logical line into fields.
func splitFields(line string) []field {
	var fields []field
	var cur field
	pos := 0
	for {
		tok, comma, next, ok := nextToken(line, pos)
		pos = next
		if !ok {
			break
		}
		cur = append(cur, tok)
		if !comma {
			fields = append(fields, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		fields = append(fields, cur)
	}
	return fields
}

// nextToken reads the token that starts at or after pos. comma reports that
// the token ended with a comma, so the next token belongs to the same field.
func nextToken(line string, pos int) (tok token, comma bool, next int, ok bool) {
	for pos < len(line) && (isBlank(line[pos]) || line[pos] == ',') {
		pos++
	}
	if pos >= len(line) || line[pos] == '#' {
		return token{}, false, len(line), false
	}

	var b strings.Builder
	inQuote := false
	for pos < len(line) {
		c := line[pos]
		switch {
		case !inQuote && isBlank(c):
			return token{b.String(), tok.quoted}, false, pos, true
		case !inQuote && c == '#':
			return token{b.String(), tok.quoted}, false, len(line), true
		case !inQuote && c == ',':
			return token{b.String(), tok.quoted}, true, pos + 1, true
		case c == '"' && inQuote && pos+1 < len(line) && line[pos+1] == '"':
			b.WriteByte('"')
			pos++
		case c == '"':
			inQuote = !inQuote
			tok.quoted = true
		default:
			b.WriteByte(c)
		}
		pos++
	}
	return token{b.String(), tok.quoted}, false, pos, true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// parseRecord turns the fields of one record into a rule.
func parseRecord(line int, fields []field) inventory.HBARule {
	r := inventory.HBARule{Line: line}
	fail := func(format string, args ...any) inventory.HBARule {
		r.Error = fmt.Sprintf(format, args...)
		return r
	}

	typ, err := single(fields[0], "connection type")
	r.Type = typ
	if err != "" {
		return fail("%s", err)
	}
	if !connTypes[typ] {
		return fail("invalid connection type %q", typ)
	}
	rest := fields[1:]

	if len(rest) == 0 {
		return fail("end-of-line before database specification")
	}
	r.Database, rest = listText(rest[0]), rest[1:]
	if len(rest) == 0 {
		return fail("end-of-line before role specification")
	}
	r.User, rest = listText(rest[0]), rest[1:]

	if typ != "local" {
		if len(rest) == 0 {
			return fail("end-of-line before IP address specification")
		}
		var msg string
		r.Address, r.Netmask, rest, msg = parseAddress(rest)
		if msg != "" {
			return fail("%s", msg)
		}
	}

	if len(rest) == 0 {
		return fail("end-of-line before authentication method")
	}
	method, msg := single(rest[0], "authentication method")
	r.Method = method
	if msg != "" {
		return fail("%s", msg)
	}
	if !methods[method] {
		return fail("invalid authentication method %q", method)
	}

	for _, f := range rest[1:] {
		for _, t := range f {
			if !strings.Contains(t.text, "=") {
				r.Options = append(r.Options, t.text)
				return fail("authentication option not in name=value format: %s", t.text)
			}
			r.Options = append(r.Options, t.text)
		}
	}
	return r
}

// single returns the only token of a field that must not be a list.
func single(f field, what string) (string, string) {
	if len(f) != 1 {
		return f[0].text, "multiple values specified for " + what
	}
	return f[0].text, ""
}

// listText renders a list field: quoted keywords keep their quotes so that a
// database named "all" is not mistaken for the keyword.
func listText(f field) []string {
	out := make([]string, 0, len(f))
	for _, t := range f {
		if t.quoted && listKeywords[t.text] {
			out = append(out, `"`+t.text+`"`)
			continue
		}
		out = append(out, t.text)
	}
	return out
}

// parseAddress reads the address field and, for the address+netmask form,
// the netmask field after it. It returns the fields that remain.
func parseAddress(rest []field) (addr, mask string, remain []field, msg string) {
	text, msg := single(rest[0], "host name/IP address")
	if msg != "" {
		return text, "", nil, msg
	}
	tok := rest[0][0]
	remain = rest[1:]

	if !tok.quoted && (text == "all" || text == "samehost" || text == "samenet") {
		return text, "", remain, ""
	}
	if ip, bits, found := strings.Cut(text, "/"); found {
		p, err := netip.ParsePrefix(ip + "/" + bits)
		if err != nil || p.Addr().Zone() != "" {
			return text, "", remain, fmt.Sprintf("invalid IP address/prefix %q", text)
		}
		a := p.Addr()
		return a.String(), maskText(p.Bits(), a.Is4()), remain, ""
	}
	a, err := netip.ParseAddr(text)
	if err != nil {
		// Anything that is not an IP literal is a host name to resolve.
		return text, "", remain, ""
	}
	if len(remain) == 0 {
		return text, "", nil, "end-of-line before netmask specification"
	}
	m, msg := single(remain[0], "netmask")
	if msg != "" {
		return text, "", nil, msg
	}
	bits, ok := maskBits(m, a.Is4())
	if !ok {
		return text, m, nil, fmt.Sprintf("invalid IP mask %q", m)
	}
	return a.String(), maskText(bits, a.Is4()), remain[1:], ""
}

// maskText prints a prefix length as a netmask, as the view does.
func maskText(bits int, v4 bool) string {
	if v4 {
		return net.IP(net.CIDRMask(bits, 32)).String()
	}
	return net.IP(net.CIDRMask(bits, 128)).String()
}

// maskBits checks that m is a contiguous netmask of the right family and
// returns its prefix length.
func maskBits(m string, v4 bool) (int, bool) {
	a, err := netip.ParseAddr(m)
	if err != nil || a.Is4() != v4 {
		return 0, false
	}
	ones, size := net.IPMask(a.AsSlice()).Size()
	if size == 0 {
		return 0, false
	}
	return ones, true
}
