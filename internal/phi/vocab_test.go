package phi

import (
	"strings"
	"testing"
)

// TestBuiltinTokensParse checks that the embedded file loads and that each
// entry can match at all: a word or stem the tokenizer would split or
// could never produce would be dead weight.
func TestBuiltinTokensParse(t *testing.T) {
	v, err := parseVocabulary(builtinTokens)
	if err != nil {
		t.Fatalf("parse tokens.txt: %v", err)
	}
	for w := range v.words {
		if toks := Tokens(w); len(toks) != 1 || toks[0] != w {
			t.Errorf("word %q tokenizes to %q", w, toks)
		}
		if _, ok := v.match([]string{w}); !ok {
			t.Errorf("word %q does not match itself", w)
		}
	}
	for _, stems := range v.stems {
		for _, s := range stems {
			if _, ok := v.match([]string{s + "id"}); !ok {
				t.Errorf("stem %q does not match %q", s, s+"id")
			}
		}
	}
	for _, phrases := range v.phrases {
		for _, p := range phrases {
			if _, ok := v.match(Tokens(strings.Join(p, "_"))); !ok {
				t.Errorf("phrase %q does not match its snake_case form", p)
			}
		}
	}
}

func TestParseVocabularyErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"uppercase", "Patient\n", `line 1: token "Patient"`},
		{"digit", "# c\nhl7\n", `line 2: token "hl7"`},
		{"short stem", "lab*\n", `stem "lab*"`},
		{"star alone", "*\n", `stem "*"`},
		{"star inside", "pat*ent\n", `token "pat*ent"`},
		{"only comments", "# nothing\n\n", "no tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseVocabulary(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseVocabulary(%q) error = %v, want it to contain %q", tt.text, err, tt.want)
			}
		})
	}
}

func TestSingular(t *testing.T) {
	v, err := parseVocabulary("note\nallergy\ndiagnosis\naddress\nlab\nmember\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"notes", "note"},
		{"allergies", "allergy"},
		{"diagnoses", "diagnosis"},
		{"addresses", "address"},
		{"address", "address"},
		{"labs", "lab"},
		{"members", "member"},
		{"memberships", "memberships"},
		{"labels", "labels"},
		{"status", "status"},
		{"s", "s"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := v.singular(tt.in); got != tt.want {
				t.Errorf("singular(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
