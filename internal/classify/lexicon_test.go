package classify

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuiltinLexicon(t *testing.T) {
	lx, err := parseLexicon(signalsText)
	if err != nil {
		t.Fatalf("parse signals.txt: %v", err)
	}
	for tok := range lx.serviceNames {
		if name := "zz_" + tok; !slices.Contains(nameTokens(name), tok) {
			t.Errorf("service token %q never comes out of a name such as %q: %q", tok, name, nameTokens(name))
		}
	}
	for _, tool := range lx.interactive {
		if !interactive(lx, tool) || !interactive(lx, strings.ToUpper(tool)+" 1.2") {
			t.Errorf("interactive tool %q does not match itself", tool)
		}
		if interactive(lx, tool+"x") {
			t.Errorf("interactive tool %q matches %q", tool, tool+"x")
		}
	}
}

func TestParseLexiconErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no section", "etl 3\n", "outside a known [section]"},
		{"bad weight", "[service-name]\netl 5\n", `weight "5"`},
		{"missing weight", "[service-name]\netl\n", `"etl": write a lowercase token and a weight`},
		{"uppercase token", "[generic]\nRoot\n", `"Root": write one lowercase token`},
		{"comment without words", "[service-comment]\n3\n", `"3": write a weight and lowercase words`},
		{"uppercase tool", "[interactive]\nPsql\n", `"Psql": write it in lowercase`},
		{"empty", "[service-name]\n", "no [service-name] or [interactive] entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseLexicon(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseLexicon(%q) error %v, want it to contain %q", tt.text, err, tt.want)
			}
		})
	}
}

func TestNameTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"etl_loader", []string{"etl", "loader"}},
		{"hl7_feed", []string{"hl", "feed", "hl7"}},
		{"HL7Feed", []string{"hl", "feed", "hl7"}},
		{"pg15backup", []string{"pg", "backup", "pg15"}},
		{"app2", []string{"app", "app2"}},
		{"2fa", []string{"fa"}},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, nameTokens(tt.in)); diff != "" {
				t.Errorf("nameTokens(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
