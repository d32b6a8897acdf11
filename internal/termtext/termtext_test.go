package termtext

import "testing"

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"etl_loader", "etl_loader"},
		{"héllo wörld", "héllo wörld"},
		{"evil\x1b[2Jname", `evil\x1b[2Jname`},
		{"two\nlines\ttab", `two\x0alines\x09tab`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"real \uFFFD replacement", "real \uFFFD replacement"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
