package sqlshape

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStatement(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain select", "SELECT * FROM clinical.patient WHERE mrn = 'MRN002'",
			"SELECT * FROM clinical.patient WHERE mrn = ?"},
		{"numbers", "UPDATE t SET a = 1.5e-3, b = -42, c = .5 WHERE id IN (1,2,3)",
			"UPDATE t SET a = ?, b = -?, c = ? WHERE id IN (?,?,?)"},
		{"escaped quote", "INSERT INTO n VALUES ('O''Brien, Pat', 'x')",
			"INSERT INTO n VALUES (?, ?)"},
		{"E string with backslash quote", `SELECT E'it\'s 000-00-0001' AS s`, "SELECT ? AS s"},
		{"prefixed literals", "SELECT B'101', X'ff', N'nat', U&'d\\0061t'",
			"SELECT ?, ?, ?, ?"},
		{"dollar quoted", "DO $body$ BEGIN PERFORM 'x'; END $body$; SELECT $$a$$",
			"DO ?; SELECT ?"},
		{"parameters kept", "SELECT * FROM t WHERE id = $1 AND b = $2",
			"SELECT * FROM t WHERE id = $1 AND b = $2"},
		{"quoted identifier kept", `SELECT "SSN ""x""" FROM "Patient"`,
			`SELECT "SSN ""x""" FROM "Patient"`},
		{"comments and space", "SELECT a -- 000-00-0002\n FROM  t /* mrn /* nested */ 3 */\tWHERE\n\nb=2",
			"SELECT a FROM t WHERE b=?"},
		{"identifiers with digits", "SELECT col1, t2.x3 FROM s1.t2", "SELECT col1, t2.x3 FROM s1.t2"},
		{"cast", "SELECT '2024-01-01'::date", "SELECT ?::date"},
		{"unclosed literal runs to end", "SELECT 'MRN00", "SELECT ?"},
		{"unclosed dollar runs to end", "SELECT $q$ secret", "SELECT ?"},
		{"unclosed identifier", `SELECT "000'1`, `SELECT "?"`},
		{"redacted password", "ALTER ROLE app PASSWORD '<REDACTED>'", "ALTER ROLE app PASSWORD ?"},
		{"dsn in a literal", "SELECT dblink_connect('host=db1 password=<REDACTED>')",
			"SELECT dblink_connect(?)"},
		{"unicode identifier", "SELECT naïve FROM t WHERE x = 'é'", "SELECT naïve FROM t WHERE x = ?"},
		{"lone dollar", "SELECT a$b, $ FROM t", "SELECT a$b, $ FROM t"},
		{"empty", "   ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := Statement(tc.in, 0)
			if got != tc.want || cut {
				t.Errorf("Statement(%q) = %q, %v; want %q, false", tc.in, got, cut, tc.want)
			}
		})
	}
}

func TestStatementMax(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
		cut  bool
	}{
		{"fits", "SELECT 1", 8, "SELECT ?", false},
		{"cut", "SELECT a, b FROM t", 10, "SELECT a, ", true},
		{"cut on a character boundary", "SELECT é", 8, "SELECT ", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cut := Statement(tc.in, tc.max)
			if got != tc.want || cut != tc.cut {
				t.Errorf("Statement(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.cut)
			}
		})
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"value quoted", `invalid input syntax for type integer: "000-00-0003"`,
			`invalid input syntax for type integer: "?"`},
		{"identifiers quoted too", `relation "clinical.patient" does not exist`,
			`relation "?" does not exist`},
		{"unquoted kept", "permission denied for table patient", "permission denied for table patient"},
		{"numbers", "value too long for type character varying(10)",
			"value too long for type character varying(?)"},
		{"single quotes", "unrecognized value 'x1' here", "unrecognized value '?' here"},
		{"unclosed quote drops the rest", `bad value "123-45`, `bad value "?"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Message(tc.in, 0); got != tc.want {
				t.Errorf("Message(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzStatement checks that a shape keeps no digit outside identifiers and
// parameters, no quote content, is valid UTF-8 for valid input, respects
// max, and that shaping a shape changes nothing.
func FuzzStatement(f *testing.F) {
	for _, s := range []string{"SELECT 'a', 1 FROM t", "E'\\''", "$a$ $a$", "/* /* */", "U&'x'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, _ := Statement(in, 64)
		if len(got) > 64 {
			t.Fatalf("shape %q longer than 64", got)
		}
		if utf8.ValidString(in) && !utf8.ValidString(got) {
			t.Fatalf("shape %q of valid text is not valid UTF-8", got)
		}
		full, _ := Statement(in, 0)
		if strings.ContainsRune(withoutIdents(full), '\'') {
			t.Fatalf("shape %q keeps a single quote outside identifiers", full)
		}
		if again, _ := Statement(full, 0); again != full {
			t.Fatalf("shape of shape %q = %q", full, again)
		}
	})
}

// withoutIdents removes the double-quoted identifiers of a shape.
func withoutIdents(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			in = !in
			continue
		}
		if !in {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
