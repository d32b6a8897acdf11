package secrets

import (
	"strings"
	"testing"
)

// FuzzScan runs every detector over arbitrary bytes under several file
// names. It checks that nothing panics, that each secret lies within the
// input's lines, and that no redacted form shows a secret whole.
func FuzzScan(f *testing.F) {
	for _, seed := range []string{
		"DATABASE_URL=postgres://u:FAKE@[::1]:5432,h2/db?password=x&user=y\n",
		"jdbc:sqlserver://h:1;user=u;password={FAKE;;}\n",
		"Server=tcp:h,1;Uid=u;Pwd=FAKE;\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTpiIn0.RkFLRUZBS0VGQUtFRkFLRQ\n",
		"password:\n  secure: FAKE\n",
		"CREATE USER MAPPING FOR x SERVER y OPTIONS (user 'u', password 'FAKE');\n",
	} {
		f.Add("app.env", []byte(seed))
	}
	s := newTestScanner(f, Options{})
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if strings.ContainsAny(name, "\x00") {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, sc := range s.ScanBytes(name, data) {
			if sc.Line < 1 || sc.Line > lines {
				t.Errorf("line %d outside the input's %d lines", sc.Line, lines)
			}
			v := sc.Value().Reveal()
			if v == "" {
				t.Error("empty secret reported")
			}
			if len(v) >= 5 && strings.Contains(sc.Redacted, v) {
				t.Errorf("redacted form %q shows the secret", sc.Redacted)
			}
		}
	})
}
