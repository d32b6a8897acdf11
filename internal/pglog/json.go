package pglog

import (
	"unicode/utf16"
	"unicode/utf8"
)

// jsonKV is one member of a flat JSON object: a key and its value, string
// values unescaped, other values (numbers, true, false, null) raw.
type jsonKV struct {
	key, val []byte
	str      bool
}

// jsonScanner reads the flat JSON objects of PostgreSQL's jsonlog, one per
// line. Nested objects and arrays are rejected: jsonlog writes none.
type jsonScanner struct {
	kvs []jsonKV
}

// scan parses the object that fills line (no newline) and returns its
// members in order, unescaped in place.
func (s *jsonScanner) scan(line []byte) ([]jsonKV, error) {
	s.kvs = s.kvs[:0]
	i := skipJSONSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return nil, errMalformed
	}
	i = skipJSONSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return s.kvs, trailing(line, i+1)
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return nil, errMalformed
		}
		key, next, err := jsonString(line, i)
		if err != nil {
			return nil, err
		}
		i = skipJSONSpace(line, next)
		if i >= len(line) || line[i] != ':' {
			return nil, errMalformed
		}
		i = skipJSONSpace(line, i+1)
		if i >= len(line) {
			return nil, errMalformed
		}
		kv := jsonKV{key: key}
		if line[i] == '"' {
			kv.val, next, err = jsonString(line, i)
			kv.str = true
		} else {
			next, err = jsonScalar(line, i)
			if err == nil {
				kv.val = line[i:next]
			}
		}
		if err != nil {
			return nil, err
		}
		s.kvs = append(s.kvs, kv)
		i = skipJSONSpace(line, next)
		if i >= len(line) {
			return nil, errMalformed
		}
		switch line[i] {
		case ',':
			i = skipJSONSpace(line, i+1)
		case '}':
			return s.kvs, trailing(line, i+1)
		default:
			return nil, errMalformed
		}
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

func trailing(line []byte, i int) error {
	if skipJSONSpace(line, i) != len(line) {
		return errMalformed
	}
	return nil
}

// jsonString reads the string opening at b[i] and returns its content,
// unescaped in place, and the index after the closing quote.
func jsonString(b []byte, i int) ([]byte, int, error) {
	start := i + 1
	j := start
	for j < len(b) {
		c := b[j]
		if c == '"' {
			return b[start:j], j + 1, nil
		}
		if c == '\\' {
			return unescapeJSON(b, start, j)
		}
		if c < 0x20 {
			return nil, 0, errMalformed
		}
		j++
	}
	return nil, 0, errMalformed
}

// unescapeJSON continues jsonString from the first backslash at r,
// writing the unescaped content over the escaped one.
func unescapeJSON(b []byte, start, r int) ([]byte, int, error) {
	w := r
	for r < len(b) {
		c := b[r]
		switch {
		case c == '"':
			return b[start:w], r + 1, nil
		case c < 0x20:
			return nil, 0, errMalformed
		case c != '\\':
			b[w] = c
			w++
			r++
			continue
		}
		if r+1 >= len(b) {
			return nil, 0, errMalformed
		}
		e := b[r+1]
		r += 2
		switch e {
		case '"', '\\', '/':
			b[w] = e
		case 'b':
			b[w] = '\b'
		case 'f':
			b[w] = '\f'
		case 'n':
			b[w] = '\n'
		case 'r':
			b[w] = '\r'
		case 't':
			b[w] = '\t'
		case 'u':
			rn, next, ok := jsonRune(b, r)
			if !ok {
				return nil, 0, errMalformed
			}
			r = next
			w += utf8.EncodeRune(b[w:], rn)
			continue
		default:
			return nil, 0, errMalformed
		}
		w++
	}
	return nil, 0, errMalformed
}

// jsonRune decodes the four hex digits at b[r] (after \u) and, for a
// surrogate pair, the \uXXXX that follows. Lone surrogates become U+FFFD,
// as encoding/json makes them.
func jsonRune(b []byte, r int) (rune, int, bool) {
	v, ok := hex4(b, r)
	if !ok {
		return 0, 0, false
	}
	r += 4
	rn := rune(v)
	if !utf16.IsSurrogate(rn) {
		return rn, r, true
	}
	if r+6 <= len(b) && b[r] == '\\' && b[r+1] == 'u' {
		if v2, ok := hex4(b, r+2); ok {
			if dec := utf16.DecodeRune(rn, rune(v2)); dec != utf8.RuneError {
				return dec, r + 6, true
			}
		}
	}
	return utf8.RuneError, r, true
}

func hex4(b []byte, r int) (uint32, bool) {
	if r+4 > len(b) {
		return 0, false
	}
	var v uint32
	for _, c := range b[r : r+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(c)
	}
	return v, true
}

// jsonScalar validates the number, true, false or null at b[i] and
// returns the index after it.
func jsonScalar(b []byte, i int) (int, error) {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
			return i + len(lit), nil
		}
	}
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(b, j)
	default:
		return 0, errMalformed
	}
	if j < len(b) && b[j] == '.' {
		k := digits(b, j+1)
		if k == j+1 {
			return 0, errMalformed
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digits(b, j)
		if k == j {
			return 0, errMalformed
		}
		j = k
	}
	return j, nil
}

func digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}
