package secrets

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// newTestScanner builds a Scanner with a fixed key, so fingerprints are
// stable within the test binary.
func newTestScanner(t testing.TB, opts Options) *Scanner {
	t.Helper()
	if opts.Key == nil {
		opts.Key = []byte("test-key-FAKE-0123456789abcdef")
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// want is one expected secret: its rule, identity, severity and the
// value, which the test compares through the unprintable wrapper.
type want struct {
	rule     string
	identity string
	severity inventory.Severity
	value    string
	line     int
}

func TestDetectors(t *testing.T) {
	const (
		high = inventory.SeverityHigh
		low  = inventory.SeverityLow
		med  = inventory.SeverityMedium
	)
	tests := []struct {
		name string
		path string
		text string
		want []want
	}{
		{"postgres URI with symbols", "app.env",
			"DATABASE_URL=postgres://svc_x:FAKE%23p%40ss/w0rd@db.internal:5432/app?sslmode=require\n",
			[]want{{RuleDBPassword, "svc_x@db.internal:5432/app", high, "FAKE#p@ss/w0rd", 1}}},
		{"raw @ in password", "app.env",
			"DATABASE_URL=postgresql://svc_x:FAKE@pass@db.internal/app\n",
			[]want{{RuleDBPassword, "svc_x@db.internal/app", high, "FAKE@pass", 1}}},
		{"IPv6 host", "app.env",
			"DB=postgres://svc_v6:FAKE-v6-pass@[2001:db8::7]:6432/ehr\n",
			[]want{{RuleDBPassword, "svc_v6@2001:db8::7:6432/ehr", high, "FAKE-v6-pass", 1}}},
		{"several hosts", "app.env",
			"DB=postgresql://svc_ha:FAKE-ha-pass@pg1.internal:5432,pg2.internal:5433/ehr?target_session_attrs=read-write\n",
			[]want{{RuleDBPassword, "svc_ha@pg1.internal,pg2.internal:5432/ehr", high, "FAKE-ha-pass", 1}}},
		{"password in query parameters", "settings.py",
			`URL = "postgresql://db.internal/ehr?user=svc_q&password=FAKE-q-pass&sslmode=verify-full"` + "\n",
			[]want{{RuleDBPassword, "svc_q@db.internal/ehr", high, "FAKE-q-pass", 1}}},
		{"mongodb+srv", "config.js",
			`const uri = "mongodb+srv://svc_m:FAKE-mongo-1@cluster0.example.net/claims?retryWrites=true";` + "\n",
			[]want{{RuleDBPassword, "svc_m@cluster0.example.net/claims", high, "FAKE-mongo-1", 1}}},
		{"redis without user", "app.yaml", "cache: redis://:FAKE-redis-9@cache.internal:6379/0\n",
			[]want{{RuleDBPassword, "@cache.internal:6379/0", high, "FAKE-redis-9", 1}}},
		{"sqlserver URL", "app.env", "MSSQL=sqlserver://svc_s:FAKE-sq-1@sql.internal:1433?database=claims\n",
			[]want{{RuleDBPassword, "svc_s@sql.internal:1433/claims", high, "FAKE-sq-1", 1}}},
		{"JDBC SQL Server", "app.properties",
			"db.url=jdbc:sqlserver://sql.internal:1433;databaseName=claims;user=svc_j;password={FAKE;jd}\n",
			[]want{{RuleDBPassword, "svc_j@sql.internal:1433/claims", high, "FAKE;jd", 1}}},
		{"JDBC Oracle thin", "app.properties",
			"db.url=jdbc:oracle:thin:svc_o/FAKE-ora-1@ora.internal:1521:ORCL\n",
			[]want{{RuleDBPassword, "svc_o@ora.internal:1521/ORCL", high, "FAKE-ora-1", 1}}},
		{"ADO.NET in C#", "Db.cs",
			`String c = "Data Source=sis2:1521/db;User ID=svcacct;Password=FAKEsvcpass;";` + "\n",
			[]want{{RuleDBPassword, "svcacct@sis2:1521/db", high, "FAKEsvcpass", 1}}},
		{"ODBC with Pwd and Uid", "odbc.ini",
			"conn=Driver={ODBC Driver 18};Server=tcp:sql.internal,1433;Uid=svc_odbc;Pwd=FAKE-odbc-2;\n",
			[]want{{RuleDBPassword, "svc_odbc@sql.internal:1433", high, "FAKE-odbc-2", 1}}},
		{"PGPASSWORD under DATABASE_URL", ".env",
			"DATABASE_URL=postgres://svc_pg@pg.internal:5432/ehr\nPGPASSWORD=FAKE-pgpass-3\n",
			[]want{{RuleDBPassword, "svc_pg@pg.internal:5432/ehr", high, "FAKE-pgpass-3", 2}}},
		{"TOML", "config.toml",
			"[database]\nuser = \"svc_toml\"\nhost = \"toml-db.internal\"\npassword = \"FAKE-toml-4\"\n",
			[]want{{RuleDBPassword, "svc_toml@toml-db.internal", high, "FAKE-toml-4", 4}}},
		{"JSON", "appsettings.json",
			`{"Db": {"User": "svc_json", "Host": "json-db.internal",` + "\n" + `"Password": "czFAKEsd$FFSD"}}` + "\n",
			[]want{{RuleDBPassword, "svc_json@json-db.internal", high, "czFAKEsd$FFSD", 2}}},
		{"INI with symbols", ".pypirc",
			"[global]\nusername = someuser\npassword = Fq8#Zr*@7%Lp!FAKE0000\n",
			[]want{{RuleDBPassword, "someuser", high, "Fq8#Zr*@7%Lp!FAKE0000", 3}}},
		{"my.cnf", ".my.cnf",
			"[client]\nuser=svc_my\nhost=mysql.internal\npassword=FAKE-mycnf-5\n",
			[]want{{RuleDBPassword, "svc_my@mysql.internal", high, "FAKE-mycnf-5", 4}}},
		{"pgpass", ".pgpass",
			"# comment\npg.internal:5432:ehr:svc_pp:FAKE\\:pp-6\n*:*:*:svc_any:FAKE-any-7\n",
			[]want{{RuleDBPassword, "svc_pp@pg.internal:5432/ehr", high, "FAKE:pp-6", 2},
				{RuleDBPassword, "svc_any", high, "FAKE-any-7", 3}}},
		{"XML element", "context.xml", "<user>svc_xml</user>\n<password>FAKE-xml-8</password>\n",
			[]want{{RuleDBPassword, "svc_xml", high, "FAKE-xml-8", 2}}},
		{"Go struct literal", "main.go", `cfg := Config{User: "svc_go", Password: "FAKE-go-9"}` + "\n",
			[]want{{RuleDBPassword, "svc_go", high, "FAKE-go-9", 1}}},
		{"weak real password", "app.env", "DB_USER=svc_weak\nDB_PASSWORD=postgres\n",
			[]want{{RuleDBPassword, "svc_weak", high, "postgres", 2}}},
		{"loopback is lower", "docker.env", "DATABASE_URL=postgres://dev:FAKE-dev-1@localhost:5432/dev\n",
			[]want{{RuleDBPassword, "dev@localhost:5432/dev", low, "FAKE-dev-1", 1}}},
		{"unix socket is loopback", "app.env",
			"DATABASE_URL=postgres://dev:FAKE-dev-2@%2Fvar%2Frun%2Fpostgresql/dev\n",
			[]want{{RuleDBPassword, "dev@/var/run/postgresql/dev", low, "FAKE-dev-2", 1}}},
		{"SQL role password", "migrate.sql",
			"CREATE ROLE etl_loader\n  LOGIN\n  PASSWORD 'FAKE-sql-1';\n",
			[]want{{RuleDBPassword, "etl_loader", high, "FAKE-sql-1", 3}}},
		{"MySQL identified by", "init.sql",
			"CREATE USER 'svc_my'@'10.0.0.%' IDENTIFIED BY 'FAKE-my-2';\n",
			[]want{{RuleDBPassword, "svc_my@10.0.0.%", high, "FAKE-my-2", 1}}},
		{"Terraform state", "prod.tfstate",
			`{"version": 4, "resources": [{"type": "aws_db_instance", "name": "ehr", "instances": [` +
				"\n" + `{"attributes": {"username": "svc_tf", "address": "ehr.rds.example.com",` + "\n" +
				`"db_name": "ehr", "password": "FAKE-tf-pass-1"}}]}]}` + "\n",
			[]want{{RuleDBPassword, "svc_tf@ehr.rds.example.com/ehr", high, "FAKE-tf-pass-1", 3}}},
		{"compose file is a manifest", "docker-compose.yml",
			"services:\n  api:\n    environment:\n      DB_USER: svc_c\n      DB_PASSWORD: FAKE-compose-1\n",
			[]want{{RuleManifest, "svc_c", high, "FAKE-compose-1", 5}}},
		{"Docker config auths", "config.json",
			"{\n  \"auths\": {\n    \"registry.example.com\": {\n      \"auth\": \"c3ZjX3JlZzpGQUtFLXJlZy0x\"\n    }\n  }\n}\n",
			[]want{{RuleCloudKey, "svc_reg@registry.example.com", high, "FAKE-reg-1", 4}}},
		{"kubeconfig bearer token", "kubeconfig",
			"apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: ci-deployer\n  user:\n    token: FAKEa1b2c3d4e5f6g7h8i9j0k1l2m3n4\n",
			[]want{{RuleCloudKey, "kubeconfig user ci-deployer", high, "FAKEa1b2c3d4e5f6g7h8i9j0k1l2m3n4", 7}}},
		{"AWS key pair in credentials file", "credentials",
			"[default]\naws_access_key_id = AKIAZ2FAKEQWERTY2345\naws_secret_access_key = FAKEx9Jq2Lm7Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hi4K\n",
			[]want{{RuleCloudKey, "AKIAZ2FAKEQWERTY2345", high, "FAKEx9Jq2Lm7Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hi4K", 3}}},
		{"bound service-account token", "token.txt", boundToken + "\n",
			[]want{{RuleCloudKey, "serviceaccount payments/api", high, boundToken, 1}}},
		{"Spring noop prefix", "application.properties",
			"spring.datasource.username=svc_sp\nspring.datasource.password={noop}FAKE-sp-1\n",
			[]want{{RuleDBPassword, "svc_sp", high, "FAKE-sp-1", 2}}},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := s.ScanBytes(tc.path, []byte(tc.text))
			checkSecrets(t, got, tc.want)
		})
	}
}

// boundToken is a FAKE bound service-account token: header {"alg":"RS256"},
// claims {"kubernetes.io":{"namespace":"payments","serviceaccount":{"name":"api"}}},
// and a junk signature.
const boundToken = "eyJhbGciOiJSUzI1NiJ9." +
	"eyJrdWJlcm5ldGVzLmlvIjp7Im5hbWVzcGFjZSI6InBheW1lbnRzIiwic2VydmljZWFjY291bnQiOnsibmFtZSI6ImFwaSJ9fX0." +
	"RkFLRS1TSUdOQVRVUkUtT0YtQS1DQU5BUlktVE9LRU4"

func checkSecrets(t *testing.T, got []Secret, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, g := range got {
			t.Logf("got %s %s %q line %d (%s)", g.RuleID, g.Severity, g.Identity.String(), g.Line, g.Kind)
		}
		t.Fatalf("found %d secrets, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		g := got[i]
		if g.RuleID != w.rule || g.Identity.String() != w.identity || g.Severity != w.severity ||
			g.Line != w.line {
			t.Errorf("secret %d = %s %q %s line %d (%s), want %s %q %s line %d", i, g.RuleID,
				g.Identity.String(), g.Severity, g.Line, g.Kind, w.rule, w.identity, w.severity, w.line)
		}
		if g.Value().Reveal() != w.value {
			t.Errorf("secret %d: value of %d bytes is not the expected %d bytes", i,
				len(g.Value().Reveal()), len(w.value))
		}
	}
}

func TestNotFindings(t *testing.T) {
	tests := []struct{ name, path, text string }{
		{"env reference", ".env", "DB_PASSWORD=${DB_PASSWORD}\n"},
		{"spring reference", "application.properties", "spring.datasource.password=${SPRING_DATASOURCE_PASSWORD}\n"},
		{"helm template", "values.yaml", `password: "{{ .Values.db.password }}"` + "\n"},
		{"word password in URI", ".env", "DATABASE_URL=postgres://user:password@localhost:5432/dev\n"},
		{"angle placeholder", "app.yaml", "password: <password>\n"},
		{"changeme", "app.ini", "password = changeme\n"},
		{"xxxx", "app.env", "DB_PASSWORD=xxxxxxxx\n"},
		{"stars", "app.env", "DB_PASSWORD=********\n"},
		{"empty", "app.env", "DB_PASSWORD=\n"},
		{"quoted word password", "app.yaml", `password: "password"` + "\n"},
		{"your password here", "README.txt", "password=your_password_here\n"},
		{"code reads env", "main.go", `pw := os.Getenv("DB_PASSWORD")` + "\n"},
		{"code prompt", "main.go", `fmt.Print("Password: ")` + "\n"},
		{"password field name", "form.go", `passwordField := "password_input"` + "\n"},
		{"hash, not a password", "users.yaml", "password_hash: $2b$12$FAKEabcdefghijklmnopqrstu\n"},
		{"bcrypt prefix", "security.properties", "admin.password={bcrypt}$2a$10$FAKEhash\n"},
		{"jasypt encrypted", "application.properties", "spring.datasource.password=ENC(FAKEcipher==)\n"},
		{"SCRAM verifier", "roles.sql", "CREATE ROLE x PASSWORD 'SCRAM-SHA-256$4096:FAKE$salt:key';\n"},
		{"md5 verifier", "roles.sql", "ALTER ROLE x PASSWORD 'md5e8a48653851e28c69d0506508fb27fc5';\n"},
		{"key id only", "config.yaml", "nested:\n  value: AKIATESTTESTTESTTEST\n"},
		{"low-entropy token", "app.yaml", "next_page_token: abcdefabcdefabcdef\n"},
		{"uuid under id key", "app.yaml", "foreign_key_id: vh987tyw9ehy8ghis7vwyhiwbwitefy7w3ASDGYDGUASDG\n"},
		{"allow marker", "app.env", "DB_PASSWORD=FAKE-allowed-1 # ward:allow\n"},
		{"detect-secrets pragma", "app.ini", "password = FAKE-allowed-2  # pragma: allowlist secret\n"},
		{"prose", "README.md", "Set a username/password combination before the first login.\n"},
		{"go token package", "scan.go", "tok := token.IDENT\nif tok == token.EOF {\n"},
		{"URI without password", "app.env", "DATABASE_URL=postgres://svc@db.internal:5432/ehr\n"},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, g := range s.ScanBytes(tc.path, []byte(tc.text)) {
				t.Errorf("found %s %q line %d (%s)", g.RuleID, g.Identity.String(), g.Line, g.Kind)
			}
		})
	}
}

func TestPrivateKeyLayouts(t *testing.T) {
	body := strings.Join(splitEvery(testRSAKey, 64), "\n")
	multi := "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n"
	flat := "private_key=-----BEGIN RSA PRIVATE KEY----- " + strings.ReplaceAll(body, "\n", " ") +
		" -----END RSA PRIVATE KEY-----\n"
	escaped := `{"key": "-----BEGIN RSA PRIVATE KEY-----\n` + strings.ReplaceAll(body, "\n", `\n`) +
		`\n-----END RSA PRIVATE KEY-----\n"}` + "\n"
	encrypted := "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n" +
		"DEK-Info: AES-128-CBC,FAKE0000000000000000000000000000\n\n" + body + "\n-----END RSA PRIVATE KEY-----\n"
	pkcs8enc := "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + body + "\n-----END ENCRYPTED PRIVATE KEY-----\n"

	s := newTestScanner(t, Options{})
	var fps []string
	for _, tc := range []struct {
		name, text string
		sev        inventory.Severity
	}{
		{"multi-line", multi, inventory.SeverityHigh},
		{"flattened", flat, inventory.SeverityHigh},
		{"json-escaped", escaped, inventory.SeverityHigh},
		{"legacy encrypted", encrypted, inventory.SeverityMedium},
		{"pkcs8 encrypted", pkcs8enc, inventory.SeverityMedium},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := s.ScanBytes("key.txt", []byte(tc.text))
			if len(got) != 1 {
				t.Fatalf("found %d secrets, want 1", len(got))
			}
			g := got[0]
			if g.RuleID != RulePrivateKey || g.Severity != tc.sev || g.Line != 1 {
				t.Errorf("got %s %s line %d, want %s %s line 1", g.RuleID, g.Severity, g.Line,
					RulePrivateKey, tc.sev)
			}
			if tc.sev == inventory.SeverityHigh {
				if !strings.HasPrefix(g.Identity.KeyID, "SHA256:") {
					t.Errorf("key ID %q, want the public key's SHA256 fingerprint", g.Identity.KeyID)
				}
				fps = append(fps, g.KeyedHash)
			}
		})
	}
	// The three layouts of one key are one secret.
	if len(fps) == 3 && (fps[0] != fps[1] || fps[1] != fps[2]) {
		t.Errorf("keyed hashes of one key in three layouts differ: %v", fps)
	}
}

func splitEvery(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}
