package hba

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []inventory.HBARule
		notes int
	}{
		{
			name: "comments and blank lines",
			in:   "# header\n\n   \t\n# another\n",
			want: nil,
		},
		{
			name: "local line",
			in:   "local all postgres peer",
			want: []inventory.HBARule{{Line: 1, Type: "local", Database: []string{"all"},
				User: []string{"postgres"}, Method: "peer"}},
		},
		{
			name: "cidr split into address and netmask",
			in:   "host all all 10.1.0.0/16 scram-sha-256 # office",
			want: []inventory.HBARule{{Line: 1, Type: "host", Database: []string{"all"},
				User: []string{"all"}, Address: "10.1.0.0", Netmask: "255.255.0.0",
				Method: "scram-sha-256"}},
		},
		{
			name: "address and netmask form",
			in:   "host all all 192.0.2.10 255.255.255.0 md5",
			want: []inventory.HBARule{{Line: 1, Type: "host", Database: []string{"all"},
				User: []string{"all"}, Address: "192.0.2.10", Netmask: "255.255.255.0",
				Method: "md5"}},
		},
		{
			name: "ipv6",
			in:   "hostssl all all fe80::/10 cert clientcert=verify-full",
			want: []inventory.HBARule{{Line: 1, Type: "hostssl", Database: []string{"all"},
				User: []string{"all"}, Address: "fe80::", Netmask: "ffc0::",
				Method: "cert", Options: []string{"clientcert=verify-full"}}},
		},
		{
			name: "keywords and host names",
			in: "host all all samenet password\n" +
				"hostnossl all all .example.com md5",
			want: []inventory.HBARule{
				{Line: 1, Type: "host", Database: []string{"all"}, User: []string{"all"},
					Address: "samenet", Method: "password"},
				{Line: 2, Type: "hostnossl", Database: []string{"all"}, User: []string{"all"},
					Address: ".example.com", Method: "md5"},
			},
		},
		{
			name: "lists, groups and files kept as text",
			in:   "host ehr, research +clinical_read,@admins.txt,alice 192.0.2.0/24 trust",
			want: []inventory.HBARule{{Line: 1, Type: "host",
				Database: []string{"ehr", "research"},
				User:     []string{"+clinical_read", "@admins.txt", "alice"},
				Address:  "192.0.2.0", Netmask: "255.255.255.0", Method: "trust"}},
		},
		{
			name: "quotes protect spaces, commas, hashes and keywords",
			in: `host "my db","all" "a,b","x""y#z" 192.0.2.1/32 ldap ` +
				`ldapprefix="cn=" ldapsuffix=",dc=example"`,
			want: []inventory.HBARule{{Line: 1, Type: "host",
				Database: []string{"my db", `"all"`}, User: []string{"a,b", `x"y#z`},
				Address: "192.0.2.1", Netmask: "255.255.255.255", Method: "ldap",
				Options: []string{"ldapprefix=cn=", "ldapsuffix=,dc=example"}}},
		},
		{
			name: "continuation line keeps the first line number",
			in:   "# c\nhost all \\\n  all 192.0.2.0/24 \\\n  md5\nlocal all all trust",
			want: []inventory.HBARule{
				{Line: 2, Type: "host", Database: []string{"all"}, User: []string{"all"},
					Address: "192.0.2.0", Netmask: "255.255.255.0", Method: "md5"},
				{Line: 5, Type: "local", Database: []string{"all"}, User: []string{"all"},
					Method: "trust"},
			},
		},
		{
			name:  "include directives become notes",
			in:    "include extra.conf\ninclude_dir conf.d\nlocal all all peer",
			notes: 2,
			want: []inventory.HBARule{{Line: 3, Type: "local", Database: []string{"all"},
				User: []string{"all"}, Method: "peer"}},
		},
		{
			name: "crlf line ends",
			in:   "local all all peer\r\nlocal all all trust\r\n",
			want: []inventory.HBARule{
				{Line: 1, Type: "local", Database: []string{"all"}, User: []string{"all"},
					Method: "peer"},
				{Line: 2, Type: "local", Database: []string{"all"}, User: []string{"all"},
					Method: "trust"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Parse([]byte(tt.in))
			if diff := cmp.Diff(tt.want, f.Rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			if len(f.Notes) != tt.notes {
				t.Errorf("notes = %q, want %d", f.Notes, tt.notes)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"hots all all 127.0.0.1/32 md5", `invalid connection type "hots"`},
		{"host,local all all 127.0.0.1/32 md5", "multiple values specified for connection type"},
		{"host", "end-of-line before database specification"},
		{"host all", "end-of-line before role specification"},
		{"host all all", "end-of-line before IP address specification"},
		{"host all all 127.0.0.1/32", "end-of-line before authentication method"},
		{"host all all 127.0.0.1/33 md5", `invalid IP address/prefix "127.0.0.1/33"`},
		{"host all all 127.0.0.1 md5", `invalid IP mask "md5"`},
		{"host all all 127.0.0.1", "end-of-line before netmask specification"},
		{"host all all 10.0.0.1 255.0.255.0 md5", `invalid IP mask "255.0.255.0"`},
		{"host all all ::1 255.255.255.255 md5", `invalid IP mask "255.255.255.255"`},
		{"host all all 127.0.0.1/32 md6", `invalid authentication method "md6"`},
		{"host all all 127.0.0.1/32 md5 clientcert",
			"authentication option not in name=value format: clientcert"},
		{"local all all peer,trust", "multiple values specified for authentication method"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := Parse([]byte(tt.in))
			if len(f.Rules) != 1 {
				t.Fatalf("got %d rules, want 1", len(f.Rules))
			}
			if got := f.Rules[0].Error; got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
			if f.Rules[0].Line != 1 {
				t.Errorf("line = %d, want 1", f.Rules[0].Line)
			}
		})
	}
}

// FuzzParse checks that no input makes the parser panic, and that every
// rule points at a real line and either names a method or an error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"host all all 127.0.0.1/32 scram-sha-256\n",
		"local all all peer\n# c\nhost \"a b\",c +g,@f ::1/128 md5 x=y\n",
		"host all all 192.0.2.1 255.255.255.0 \\\n md5\n",
		"include x\n\"\"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res := Parse(in)
		lines := strings.Count(string(in), "\n") + 1
		for _, r := range res.Rules {
			if r.Line < 1 || r.Line > lines {
				t.Fatalf("rule line %d outside 1..%d", r.Line, lines)
			}
			if r.Error == "" && r.Method == "" {
				t.Fatalf("valid rule without method: %+v", r)
			}
			if r.Error == "" && utf8.Valid(in) && !utf8.ValidString(strings.Join(r.User, "")) {
				t.Fatalf("valid UTF-8 input gave invalid user text: %+v", r)
			}
		}
	})
}
