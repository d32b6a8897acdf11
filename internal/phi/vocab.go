package phi

import (
	"bufio"
	"fmt"
	"strings"
)

// minStem is the shortest stem a "stem*" line may have; shorter stems
// would start too many unrelated words.
const minStem = 4

// vocabulary is the parsed list of built-in PHI tokens.
type vocabulary struct {
	words   map[string]bool       // whole tokens
	phrases map[string][][]string // first word -> phrases starting with it
	stems   map[string][]string   // first minStem bytes -> stems
	known   map[string]bool       // every word of words and phrases, for plural folding
}

// parseVocabulary reads the token file format described in tokens.txt.
func parseVocabulary(text string) (*vocabulary, error) {
	v := &vocabulary{
		words:   map[string]bool{},
		phrases: map[string][][]string{},
		stems:   map[string][]string{},
		known:   map[string]bool{},
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := v.add(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	if len(v.words)+len(v.phrases)+len(v.stems) == 0 {
		return nil, fmt.Errorf("no tokens")
	}
	return v, nil
}

func (v *vocabulary) add(line string) error {
	if stem, ok := strings.CutSuffix(line, "*"); ok {
		if !isWord(stem) || len(stem) < minStem {
			return fmt.Errorf("stem %q: write at least %d lowercase ASCII letters before *",
				line, minStem)
		}
		v.stems[stem[:minStem]] = append(v.stems[stem[:minStem]], stem)
		return nil
	}

	words := strings.Fields(line)
	for _, w := range words {
		if !isWord(w) {
			return fmt.Errorf("token %q: write lowercase ASCII letters only", w)
		}
		v.known[w] = true
	}
	if len(words) == 1 {
		v.words[words[0]] = true
		return nil
	}
	v.phrases[words[0]] = append(v.phrases[words[0]], words)
	return nil
}

// isWord reports whether w is non-empty lowercase ASCII letters: the only
// tokens the tokenizer can produce that a plain text file can spell
// unambiguously.
func isWord(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// singular folds a simple English plural onto a word of the vocabulary:
// allergies -> allergy, diagnoses -> diagnosis, addresses -> address,
// notes -> note. It returns tok itself when no fold applies.
func (v *vocabulary) singular(tok string) string {
	if v.known[tok] || !strings.HasSuffix(tok, "s") {
		return tok
	}
	var forms [4]string
	if base, ok := strings.CutSuffix(tok, "ies"); ok {
		forms[0] = base + "y"
	}
	if base, ok := strings.CutSuffix(tok, "es"); ok {
		forms[1] = base + "is"
		forms[2] = base
	}
	forms[3] = tok[:len(tok)-1]
	for _, f := range forms {
		if f != "" && v.known[f] {
			return f
		}
	}
	return tok
}

// match looks for a PHI token in toks and describes the first one found,
// such as `token "patients"` or `tokens "first name"`.
func (v *vocabulary) match(toks []string) (string, bool) {
	for i, tok := range toks {
		word := v.singular(tok)
		if v.words[word] {
			return describe(tok, word), true
		}
		if stem, ok := v.stem(tok); ok {
			if tok == stem {
				return fmt.Sprintf("token %q", tok), true
			}
			return fmt.Sprintf("token %q (%s*)", tok, stem), true
		}
		for _, p := range v.phrases[word] {
			if v.phraseAt(toks[i:], p) {
				return fmt.Sprintf("tokens %q", strings.Join(p, " ")), true
			}
		}
	}
	return "", false
}

func describe(tok, word string) string {
	if tok == word {
		return fmt.Sprintf("token %q", tok)
	}
	return fmt.Sprintf("token %q (%s)", tok, word)
}

func (v *vocabulary) stem(tok string) (string, bool) {
	if len(tok) < minStem {
		return "", false
	}
	for _, s := range v.stems[tok[:minStem]] {
		if strings.HasPrefix(tok, s) {
			return s, true
		}
	}
	return "", false
}

func (v *vocabulary) phraseAt(toks, phrase []string) bool {
	if len(toks) < len(phrase) {
		return false
	}
	for j, w := range phrase {
		if v.singular(toks[j]) != w {
			return false
		}
	}
	return true
}
