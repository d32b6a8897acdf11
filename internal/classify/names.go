package classify

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/phi"
)

// nameTokens splits a name into lowercase tokens: the letter runs of
// phi.Tokens ("hl7_feed" gives hl, feed), plus each letters-and-digits
// chunk that holds a digit, cut where a letter follows a digit
// ("hl7_feed" adds hl7; "pg15backup" adds pg15).
func nameTokens(name string) []string {
	toks := phi.Tokens(name)
	chunks := strings.FieldsFunc(name, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, c := range chunks {
		start := 0
		for i, r := range c {
			if i > 0 && unicode.IsLetter(r) && isDigitBefore(c, i) {
				toks = appendDigitChunk(toks, c[start:i])
				start = i
			}
		}
		toks = appendDigitChunk(toks, c[start:])
	}
	return toks
}

func isDigitBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsDigit(r)
}

func appendDigitChunk(toks []string, chunk string) []string {
	hasDigit := strings.ContainsFunc(chunk, unicode.IsDigit)
	if !hasDigit || !strings.ContainsFunc(chunk, unicode.IsLetter) {
		return toks
	}
	return append(toks, strings.ToLower(chunk))
}

// nameSignals scores the account name: service tokens, and the shapes of
// a person's login (an e-mail address, first.last, dba_maria, alice).
func nameSignals(lx *lexicon, name string) []signal {
	var out []signal
	local := name
	if l, domain, ok := strings.Cut(name, "@"); ok && l != "" && strings.Contains(domain, ".") {
		local = l
		out = append(out, emailSignal(lx, strings.ToLower(domain)))
	}

	seen := map[string]bool{}
	for _, tok := range nameTokens(local) {
		if w, ok := lx.serviceNames[tok]; ok && !seen[tok] {
			seen[tok] = true
			out = append(out, signal{service, w, fmt.Sprintf("name token %q", tok)})
		}
	}
	if s, ok := personShape(lx, local); ok {
		out = append(out, s)
	}
	return out
}

func emailSignal(lx *lexicon, domain string) signal {
	for _, d := range lx.serviceDomains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return signal{service, 3, fmt.Sprintf("machine identity domain %q", d)}
		}
	}
	return signal{human, 3, "e-mail-like name"}
}

// personShape recognises the shapes of a person's login in the name (the
// local part of an e-mail-like name). Only the first shape that fits
// counts: dotted names and admin logins are strong hints, a single word or
// two plain words are weak ones, as many service names look the same.
func personShape(lx *lexicon, name string) (signal, bool) {
	if dottedPerson(lx, name) {
		return signal{human, 3, "dotted person-like name"}, true
	}

	toks := phi.Tokens(name)
	for _, t := range toks {
		if _, svc := lx.serviceNames[t]; svc {
			return signal{}, false
		}
	}
	switch len(toks) {
	case 1:
		if w := toks[0]; personWord(lx, w) && lettersThenDigits(name) {
			why := fmt.Sprintf("single-word name %q, possibly a person's", w)
			return signal{human, 1, why}, true
		}
	case 2:
		a, b := toks[0], toks[1]
		if lx.admin[b] {
			a, b = b, a
		}
		if lx.admin[a] && personWord(lx, b) {
			return signal{human, 3, fmt.Sprintf("%s login named for a person (%q)", a, b)}, true
		}
		if personWord(lx, a) && personWord(lx, b) && !strings.ContainsFunc(name, unicode.IsDigit) {
			return signal{human, 1, "two-word name, possibly a person's"}, true
		}
	}
	return signal{}, false
}

// dottedPerson reports whether name is first.last or first.m.last: letters
// only, the outer parts at least two letters, no part a known word.
func dottedPerson(lx *lexicon, name string) bool {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	for i, p := range parts {
		outer := i == 0 || i == len(parts)-1
		n := utf8.RuneCountInString(p)
		if n == 0 || outer && n < 2 || strings.ContainsFunc(p, notLetter) ||
			lx.known(strings.ToLower(p)) {
			return false
		}
	}
	return true
}

// personWord reports whether w could be a person's name: at least three
// letters and no word of the lexicon.
func personWord(lx *lexicon, w string) bool {
	return utf8.RuneCountInString(w) >= 3 && utf8.RuneCountInString(w) <= 20 && !lx.known(w)
}

// lettersThenDigits reports whether s is letters optionally followed by
// digits, like "alice" or "jdoe2".
func lettersThenDigits(s string) bool {
	body := strings.TrimRightFunc(s, unicode.IsDigit)
	return body != "" && !strings.ContainsFunc(body, notLetter)
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) }
