package phi

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true},
		{"*", "patient", true},
		{"patient", "patient", true},
		{"patient", "patients", false},
		{"pat*", "patient", true},
		{"*ssn", "patient_ssn", true},
		{"*ssn", "ssn_hash", false},
		{"*_ssn_*", "x_ssn_y", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "acb", false},
		{"**", "x", true},
		{"", "", true},
		{"", "x", false},
		{"x*", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pat+"~"+tt.s, func(t *testing.T) {
			if got := glob(tt.pat, tt.s); got != tt.want {
				t.Errorf("glob(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
			}
		})
	}
}

func TestParsePatternErrors(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		form patternForm
		want string
	}{
		{"table one part", "clinical", tableForm, `table pattern "clinical": has 1 parts`},
		{"table four parts", "a.b.c.d", tableForm, "has 4 parts"},
		{"column two parts", "patient.ssn", columnForm, `column pattern "patient.ssn": has 2 parts`},
		{"column five parts", "a.b.c.d.e", columnForm, "has 5 parts"},
		{"empty", "", tableForm, "is empty"},
		{"empty part", "clinical..x", columnForm, "has an empty part"},
		{"trailing dot", "clinical.", tableForm, "has an empty part"},
		{"space around", " clinical.*", tableForm, "leading or trailing space"},
		{"question mark", "clinical.pat?ent", tableForm, "only * is a wildcard"},
		{"bracket", "clinical.[pv]atient", tableForm, "only * is a wildcard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePattern(tt.raw, tt.form)
			if err == nil {
				t.Fatalf("parsePattern(%q) accepted a bad pattern", tt.raw)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, tt.form.expected) {
				t.Errorf("error %q should contain %q and the expected form", msg, tt.want)
			}
		})
	}
}
