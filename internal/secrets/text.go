package secrets

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// The byte order marks of UTF-16 text.
var (
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decodeUTF16 returns data as UTF-8 when it starts with a UTF-16 byte
// order mark, as Windows tools write appsettings.json and .config files;
// ok is false for any other data. Unpaired surrogates become U+FFFD; a
// trailing odd byte is dropped. Line numbers of the result are those of
// the text, since UTF-16 and UTF-8 share their newlines.
func decodeUTF16(data []byte) (text []byte, ok bool) {
	var big bool
	switch {
	case bytes.HasPrefix(data, bomUTF16LE):
	case bytes.HasPrefix(data, bomUTF16BE):
		big = true
	default:
		return nil, false
	}
	body := data[2:]
	units := make([]uint16, len(body)/2)
	for i := range units {
		lo, hi := body[2*i], body[2*i+1]
		if big {
			lo, hi = hi, lo
		}
		units[i] = uint16(lo) | uint16(hi)<<8
	}
	out := make([]byte, 0, len(units)+len(units)/4)
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, true
}
