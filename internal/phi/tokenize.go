package phi

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokens splits an identifier into lowercase name tokens. Every character
// that is not a letter separates tokens, so underscores, hyphens, dots,
// spaces and digits all split ("icd10_code" gives icd, code). A change from
// a lowercase to an uppercase letter splits ("labResult" gives lab, result),
// and in a run of capitals the last one starts a new token when a lowercase
// letter follows ("SSNHash" gives ssn, hash). Combining marks stay with the
// letter before them. Invalid UTF-8 bytes separate tokens.
//
// Every token is a non-empty substring of strings.ToLower(name). When a
// token is already lowercase ASCII it shares memory with name.
func Tokens(name string) []string {
	var out []string
	start := -1 // byte offset where the current token began, or -1
	prev := classOther
	for i := 0; i < len(name); {
		r, w := utf8.DecodeRuneInString(name[i:])
		c := classOf(r, w)
		switch {
		case c == classOther:
			if start >= 0 {
				out = append(out, lower(name[start:i]))
				start = -1
			}
		case start < 0:
			start = i
		case c == classUpper && camelBreak(prev, name[i+w:]):
			out = append(out, lower(name[start:i]))
			start = i
		}
		if c != classMark {
			prev = c
		}
		i += w
	}
	if start >= 0 {
		out = append(out, lower(name[start:]))
	}
	return out
}

type charClass uint8

const (
	classOther charClass = iota
	classLower           // any letter that is not upper or title case
	classUpper           // upper or title case letter
	classMark            // combining mark: continues the current token
)

func classOf(r rune, width int) charClass {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z':
			return classLower
		case 'A' <= r && r <= 'Z':
			return classUpper
		}
		return classOther
	}
	switch {
	case r == utf8.RuneError && width == 1:
		return classOther
	case unicode.IsUpper(r) || unicode.IsTitle(r):
		return classUpper
	case unicode.IsLetter(r):
		return classLower
	case unicode.IsMark(r):
		return classMark
	}
	return classOther
}

// camelBreak reports whether an uppercase letter starts a new token, given
// the class of the letter before it and the text after it.
func camelBreak(prev charClass, rest string) bool {
	return prev == classLower || prev == classUpper && nextIsLower(rest)
}

// nextIsLower reports whether rest starts with a lowercase letter, looking
// past combining marks.
func nextIsLower(rest string) bool {
	for len(rest) > 0 {
		r, w := utf8.DecodeRuneInString(rest)
		switch classOf(r, w) {
		case classLower:
			return true
		case classMark:
			rest = rest[w:]
			continue
		}
		return false
	}
	return false
}

// lower returns s in lowercase without copying when s already is lowercase
// ASCII.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
