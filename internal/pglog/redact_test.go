package pglog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

func TestRedact(t *testing.T) {
	const (
		role    = inventory.ExposureRolePassword
		mapping = inventory.ExposureUserMapping
		dsn     = inventory.ExposureDSN
		uri     = inventory.ExposureURI
		plain   = inventory.ExposurePassword
	)
	cases := []struct {
		name string
		in   string
		want string
		// leaks as kind/account/server/remote/host
		leaks []Leak
	}{
		{"create role", "CREATE ROLE etl LOGIN PASSWORD 'FAKE-1' VALID UNTIL '2027-01-31';",
			"CREATE ROLE etl LOGIN PASSWORD '<REDACTED>' VALID UNTIL '2027-01-31';",
			[]Leak{{Kind: role, Account: "etl", Command: "CREATE ROLE"}}},
		{"encrypted, quoted name", `ALTER USER "Mixed Name" WITH ENCRYPTED PASSWORD 'FAKE-2'`,
			`ALTER USER "Mixed Name" WITH ENCRYPTED PASSWORD '<REDACTED>'`,
			[]Leak{{Kind: role, Account: "Mixed Name", Command: "ALTER USER"}}},
		{"E string, folded name", `alter role App_Svc password E'FAKE\'3'`,
			`alter role App_Svc password E'<REDACTED>'`,
			[]Leak{{Kind: role, Account: "app_svc", Command: "ALTER ROLE"}}},
		{"dollar quotes", "ALTER ROLE x PASSWORD $t$FAKE'4$t$",
			"ALTER ROLE x PASSWORD $t$<REDACTED>$t$",
			[]Leak{{Kind: role, Account: "x", Command: "ALTER ROLE"}}},
		{"current_user", "ALTER ROLE CURRENT_USER PASSWORD 'FAKE-5'",
			"ALTER ROLE CURRENT_USER PASSWORD '<REDACTED>'",
			[]Leak{{Kind: role, Account: "sess", Command: "ALTER ROLE"}}},
		{"user mapping",
			"CREATE USER MAPPING FOR app_svc SERVER canary_srv OPTIONS (user 'remote_user', password 'FAKE-6');",
			"CREATE USER MAPPING FOR app_svc SERVER canary_srv OPTIONS (user 'remote_user', password '<REDACTED>');",
			[]Leak{{Kind: mapping, Account: "app_svc", Server: "canary_srv", RemoteUser: "remote_user",
				Command: "CREATE USER MAPPING"}}},
		{"alter user mapping", "ALTER USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (SET password 'FAKE-7')",
			"ALTER USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (SET password '<REDACTED>')",
			[]Leak{{Kind: mapping, Account: "sess", Server: "s", Command: "ALTER USER MAPPING"}}},
		{"dsn", "SELECT dblink_connect('host=db1 user=etl password=FAKE-8 dbname=x')",
			"SELECT dblink_connect('host=db1 user=etl password=<REDACTED> dbname=x')",
			[]Leak{{Kind: dsn, Account: "etl", Host: "db1", Command: "SELECT"}}},
		{"dsn quoted value", "SELECT dblink_connect('user=etl password=''FAKE 9'' host=db1')",
			"SELECT dblink_connect('user=etl password=''<REDACTED>'' host=db1')",
			[]Leak{{Kind: dsn, Account: "etl", Host: "db1", Command: "SELECT"}}},
		{"uri", "CREATE SUBSCRIPTION s CONNECTION 'postgresql://repl:FAKE-10@db2:5432/app' PUBLICATION p",
			"CREATE SUBSCRIPTION s CONNECTION 'postgresql://repl:<REDACTED>@db2:5432/app' PUBLICATION p",
			[]Leak{{Kind: uri, Account: "repl", Host: "db2", Command: "CREATE SUBSCRIPTION"}}},
		{"two statements", "CREATE ROLE a PASSWORD 'FAKE-11'; CREATE ROLE b PASSWORD 'FAKE-12';",
			"CREATE ROLE a PASSWORD '<REDACTED>'; CREATE ROLE b PASSWORD '<REDACTED>';",
			[]Leak{{Kind: role, Account: "a", Command: "CREATE ROLE"},
				{Kind: role, Account: "b", Command: "CREATE ROLE"}}},
		{"json payload", `INSERT INTO t VALUES ('{"password": "FAKE-13"}')`,
			`INSERT INTO t VALUES ('{"password": "<REDACTED>"}')`,
			[]Leak{{Kind: plain, Command: "INSERT"}}},
		{"environment variable", "COPY t FROM PROGRAM 'PGPASSWORD=FAKE-14 psql -c x'",
			"COPY t FROM PROGRAM 'PGPASSWORD=<REDACTED> psql -c x'",
			[]Leak{{Kind: plain, Command: "COPY"}}},
		{"verifier", "ALTER ROLE x PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2VydmVy'",
			"ALTER ROLE x PASSWORD '<REDACTED>'",
			[]Leak{{Kind: role, Account: "x", Command: "ALTER ROLE", Verifier: true}}},
		{"unterminated", "ALTER ROLE x PASSWORD 'FAKE-15 and the rest",
			"ALTER ROLE x PASSWORD '<REDACTED>",
			[]Leak{{Kind: role, Account: "x", Command: "ALTER ROLE"}}},
		{"settings query", "SELECT name FROM pg_settings WHERE name IN ('password_encryption')", "", nil},
		{"verifier check", "SELECT rolname FROM pg_authid WHERE rolpassword LIKE 'md5%'", "", nil},
		{"null password", "CREATE ROLE x PASSWORD NULL", "", nil},
		{"pgaudit redaction", "ALTER ROLE app_svc PASSWORD <REDACTED>", "", nil},
		{"already redacted", "ALTER ROLE app_svc PASSWORD '<REDACTED>'", "", nil},
		{"empty password", "ALTER ROLE x PASSWORD ''", "", nil},
		{"failed login message", `password authentication failed for user "alice"`, "", nil},
		{"uri without password", "postgres://etl@db1/app", "", nil},
		{"bind parameter", "SELECT dblink_connect('x', 'password=$1')", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, leaks := Redact(tc.in, "sess")
			want := tc.want
			if want == "" {
				want = tc.in
			}
			if got != want {
				t.Errorf("Redact = %q\nwant     %q", got, want)
			}
			if d := cmp.Diff(tc.leaks, leaks); d != "" {
				t.Errorf("leaks (-want +got):\n%s", d)
			}
			if strings.Contains(got, "FAKE") {
				t.Errorf("a FAKE value survived: %q", got)
			}
			if again, more := Redact(got, "sess"); again != got || len(more) != 0 {
				t.Errorf("redacting twice changed %q into %q (%d leaks)", got, again, len(more))
			}
		})
	}
}

func TestMayHoldAgreesWithScan(t *testing.T) {
	// mayHold is the fast path: whatever scan finds, mayHold must admit.
	for _, s := range []string{
		"ALTER ROLE x PASSWORD 'FAKE'", "alter role x password 'FAKE'", "x PaSsWoRd 'FAKE'",
		"pwd=FAKE", "passwd: FAKE", "postgres://u:FAKE@h",
	} {
		var r redactor
		if len(r.scan([]byte(s), "")) == 0 {
			t.Errorf("scan found nothing in %q", s)
		}
		if !mayHold([]byte(s)) {
			t.Errorf("mayHold(%q) = false", s)
		}
	}
}
