package pglog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
)

// errIncomplete means the data ends inside a record and more may come.
var errIncomplete = errors.New("incomplete record")

// errMalformed means the bytes are not a record of the expected format.
var errMalformed = errors.New("malformed record")

// csvField locates one field of a record being scanned.
type csvField struct {
	start, end int
	escaped    bool
}

// csvScanner splits CSV records (RFC 4180 as PostgreSQL's csvlog writes
// them: comma-separated, fields with commas, quotes or newlines quoted,
// quotes doubled). Its buffers are reused between records.
type csvScanner struct {
	spans  []csvField
	fields [][]byte
	// escaped counts the fields of the record being scanned that hold
	// doubled quotes, so finish can skip its pass when there are none.
	escaped int
}

// scan reads one record from the start of data. It returns the bytes used
// (through the record's newline) and the fields, which are slices of data
// unquoted in place, valid until the data is reused. Blank lines come back
// as a record with no fields. Unlike encoding/csv, a CR LF inside a quoted
// field is kept as is; CR LF ending a record is accepted.
func (s *csvScanner) scan(data []byte, atEOF bool) (int, [][]byte, error) {
	n, spans, err := s.scanSpans(data, atEOF)
	if err != nil {
		return n, nil, err
	}
	s.fields = s.fields[:0]
	for _, f := range spans {
		s.fields = append(s.fields, data[f.start:f.end])
	}
	return n, s.fields, nil
}

// scanSpans is scan returning the bounds of the fields in data instead of
// slices: holding no pointers, they cost the garbage collector nothing.
// Escaped fields are unquoted in place and their ends moved to match.
//
// Unquoted fields are split eight bytes at a time: one load finds every
// comma, quote and newline of the word, so a run of short or empty fields
// costs a load and a few bit operations rather than a search per field.
func (s *csvScanner) scanSpans(data []byte, atEOF bool) (int, []csvField, error) {
	s.spans = s.spans[:0]
	s.escaped = 0
	if n := blankLine(data); n > 0 {
		return n, s.spans, nil
	}
	i := 0 // start of the current field
	for {
		if i < len(data) && data[i] == '"' {
			f, next, err := scanQuoted(data, i, atEOF)
			if err != nil {
				return 0, nil, err
			}
			s.spans = append(s.spans, f)
			if f.escaped {
				s.escaped++
			}
			i = next
			if i >= len(data) {
				return s.finish(data, i)
			}
			switch c := data[i]; {
			case c == ',':
				i++
				continue
			case c == '\n':
				return s.finish(data, i+1)
			case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
				return s.finish(data, i+2)
			case c == '\r' && i+1 == len(data) && !atEOF:
				return 0, nil, errIncomplete
			}
			return 0, nil, errMalformed
		}
		// An unquoted field opens at i: walk the words from there, ending
		// a field at each comma, until a quote, a newline or the end.
		j := i
	words:
		for ; j+8 <= len(data); j += 8 {
			m := specialMask(binary.LittleEndian.Uint64(data[j:]))
			for m != 0 {
				k := j + bits.TrailingZeros64(m)/8
				m &= m - 1
				switch data[k] {
				case ',':
					s.spans = append(s.spans, csvField{start: i, end: k})
					i = k + 1
				case '"':
					if k != i {
						return 0, nil, errMalformed
					}
					break words // a quoted field opens at i
				default: // '\n'
					return s.endLine(data, i, k)
				}
			}
		}
		if i < len(data) && data[i] == '"' {
			continue
		}
		for ; j < len(data); j++ {
			switch data[j] {
			case ',':
				s.spans = append(s.spans, csvField{start: i, end: j})
				i = j + 1
				continue
			case '"':
				if j != i {
					return 0, nil, errMalformed
				}
			case '\n':
				return s.endLine(data, i, j)
			default:
				continue
			}
			break
		}
		if i < len(data) && data[i] == '"' {
			continue
		}
		if !atEOF {
			return 0, nil, errIncomplete
		}
		s.spans = append(s.spans, csvField{start: i, end: len(data)})
		return s.finish(data, len(data))
	}
}

// endLine ends the record at the newline data[nl], whose last field,
// unquoted, opened at i; a CR before the newline is not part of it.
func (s *csvScanner) endLine(data []byte, i, nl int) (int, []csvField, error) {
	end := nl
	if end > i && data[end-1] == '\r' {
		end--
	}
	s.spans = append(s.spans, csvField{start: i, end: end})
	return s.finish(data, nl+1)
}

// specialMask marks, in the high bit of each byte, exactly the bytes of x
// that are a comma, a quote or a newline.
func specialMask(x uint64) uint64 {
	const low = 0x7f7f7f7f7f7f7f7f
	a := x ^ ','*ones
	b := x ^ '"'*ones
	c := x ^ '\n'*ones
	// A byte of ((y&low)+low)|y has its high bit set when y's byte is not
	// zero; no carry crosses bytes.
	a = (a&low + low) | a
	b = (b&low + low) | b
	c = (c&low + low) | c
	return ^(a & b & c) & highs
}

// blankLine returns the length of an empty line at the start of data, 0 if
// there is none.
func blankLine(data []byte) int {
	switch {
	case len(data) > 0 && data[0] == '\n':
		return 1
	case len(data) > 1 && data[0] == '\r' && data[1] == '\n':
		return 2
	}
	return 0
}

// scanQuoted reads the quoted field that opens at data[i]. It returns the
// field's content bounds and the index after the closing quote.
func scanQuoted(data []byte, i int, atEOF bool) (csvField, int, error) {
	f := csvField{start: i + 1}
	j := i + 1
	for {
		k := indexQuote(data[j:])
		if k < 0 {
			if atEOF {
				return f, 0, errMalformed
			}
			return f, 0, errIncomplete
		}
		j += k
		if j+1 < len(data) && data[j+1] == '"' {
			f.escaped = true
			j += 2
			continue
		}
		if j+1 >= len(data) && !atEOF {
			return f, 0, errIncomplete
		}
		f.end = j
		return f, j + 1, nil
	}
}

// finish unquotes the escaped fields in place and returns the record.
// It runs only once the whole record is there: an incomplete record is
// scanned again, and must still hold its quotes then.
func (s *csvScanner) finish(data []byte, n int) (int, []csvField, error) {
	if s.escaped == 0 {
		return n, s.spans, nil
	}
	for i := range s.spans {
		if f := &s.spans[i]; f.escaped {
			f.end = f.start + len(unescapeQuotes(data[f.start:f.end]))
			f.escaped = false
		}
	}
	return n, s.spans, nil
}

// unescapeQuotes turns each "" of b into ", in place. Inside a scanned
// quoted field every quote is one of such a pair.
func unescapeQuotes(b []byte) []byte {
	w := bytes.IndexByte(b, '"')
	if w < 0 {
		return b
	}
	r := w
	for r+1 < len(b) {
		b[w] = '"'
		w++
		r += 2
		k := bytes.IndexByte(b[r:], '"')
		if k < 0 {
			w += copy(b[w:], b[r:])
			return b[:w]
		}
		w += copy(b[w:], b[r:r+k])
		r += k
	}
	return b[:w]
}

// indexQuote is bytes.IndexByte(b, '"'), quicker for the short quoted
// fields (user, database, command tag) most csvlog records are made of:
// it reads the first words itself, eight bytes at a time, before handing a
// long field to IndexByte.
func indexQuote(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if i == 64 {
			if k := bytes.IndexByte(b[i:], '"'); k >= 0 {
				return i + k
			}
			return -1
		}
		y := binary.LittleEndian.Uint64(b[i:]) ^ '"'*ones
		// The lowest marked byte is the first quote; marks above it may
		// be wrong, and are not looked at.
		if m := (y - ones) &^ y & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' {
			return i
		}
	}
	return -1
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)
