package phi

import (
	"strings"
	"testing"
	"unicode"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only separators", "_.-9 ", nil},
		{"snake case", "lab_result", []string{"lab", "result"}},
		{"camel case", "labResult", []string{"lab", "result"}},
		{"pascal case", "LabResult", []string{"lab", "result"}},
		{"upper snake", "PATIENT_ID", []string{"patient", "id"}},
		{"acronym then word", "SSNHash", []string{"ssn", "hash"}},
		{"word then acronym", "patientSSN", []string{"patient", "ssn"}},
		{"acronym alone", "MRN", []string{"mrn"}},
		{"digits split", "icd10code", []string{"icd", "code"}},
		{"trailing digits", "address2", []string{"address"}},
		{"hyphen and dot", "ehr-prod.clinical", []string{"ehr", "prod", "clinical"}},
		{"spaces in quoted name", "Date Of Birth", []string{"date", "of", "birth"}},
		{"one word stays whole", "label", []string{"label"}},
		{"folded identifier", "patientid", []string{"patientid"}},
		{"single capital", "A", []string{"a"}},
		{"capital after digit", "v2Notes", []string{"v", "notes"}},
		{"non ascii letters", "Größe_Patient", []string{"größe", "patient"}},
		{"accented camel", "éTatCivil", []string{"é", "tat", "civil"}},
		{"combining mark stays", "cafe\u0301_note", []string{"cafe\u0301", "note"}},
		{"invalid utf8 separates", "lab\xffnote", []string{"lab", "note"}},
		{"cjk letters are one run", "患者_note", []string{"患者", "note"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokens(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Tokens(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTokensShareLowercaseInput(t *testing.T) {
	in := "lab_result"
	toks := Tokens(in)
	if len(toks) != 2 || !sameMemory(in[:3], toks[0]) {
		t.Errorf("Tokens(%q)[0] was copied; lowercase ASCII tokens should share the input", in)
	}
}

func sameMemory(a, b string) bool {
	return len(a) == len(b) && len(a) > 0 && unsafe.StringData(a) == unsafe.StringData(b)
}

// FuzzTokens checks the tokenizer's contract on any input: no panic, every
// token non-empty, lowercase, made of letters and marks only, and a
// substring of the lowercased input, in input order.
func FuzzTokens(f *testing.F) {
	for _, seed := range []string{"lab_result", "LabResult", "SSNHash", "a\xffb", "Ǆemal_Ǆ"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		low := strings.ToLower(in)
		rest := low
		for _, tok := range Tokens(in) {
			if tok == "" {
				t.Fatalf("Tokens(%q) produced an empty token", in)
			}
			if strings.ToLower(tok) != tok {
				t.Errorf("Tokens(%q): token %q is not lowercase", in, tok)
			}
			for _, r := range tok {
				if !unicode.IsLetter(r) && !unicode.IsMark(r) {
					t.Errorf("Tokens(%q): token %q holds %q, not a letter or mark", in, tok, r)
				}
			}
			i := strings.Index(rest, tok)
			if i < 0 {
				t.Fatalf("Tokens(%q): token %q is not in order in %q", in, tok, low)
			}
			rest = rest[i+len(tok):]
		}
	})
}
