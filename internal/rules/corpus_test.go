package rules

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
	hbafile "github.com/wardsec/ward/internal/pgsource/hba"
)

// corpusDir returns $WARD_CORPUS, or ../shared/corpus beside the
// repository, and skips the test with a clear message when it is absent.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WARD_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("CORPUS ABSENT: %s not found (set WARD_CORPUS to the shared corpus); "+
			"this test reads the real pg_hba.conf of the corpus server", dir)
	}
	return dir
}

// TestCorpusHBA reads the pg_hba.conf of the real server the corpus logs
// came from (db-realities §1.8) and checks what the pg_hba rules make of
// each line.
func TestCorpusHBA(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir(t), "pg-logs", "pg15-pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	f := hbafile.Parse(b)
	s := &inventory.Snapshot{Source: "corpus", Type: "postgres", Postgres: &inventory.PGSettings{
		ServerVersionNum: 150018, PasswordEncryption: "scram-sha-256", SSL: "off",
		LogConnections: "on", PgauditLoaded: true, PgauditLog: "read,write,role,ddl,misc_set",
		HBA: f.Rules, HBAFrom: "file",
	}}
	var got []string
	for _, fd := range Evaluate(Input{Snapshot: s}) {
		if strings.HasPrefix(fd.Resource, "pg_hba.conf") || fd.Resource == "ssl" {
			got = append(got, fd.RuleID+" "+fd.Resource)
		}
	}
	sort.Strings(got)

	// Why each is expected:
	// - trust on 127.0.0.2 (a TCP line) and on local sockets: anyone who
	//   reaches them becomes any role;
	// - md5 for legacy_md5_svc and cleartext "password" on samenet;
	// - samenet and 10.0.0.0/8 accept other hosts over plain TCP, and ssl
	//   is off, so the one hostssl line cannot even match.
	// The reject line and the loopback SCRAM lines are not findings.
	want := []string{
		"PG-HBA-NO-TLS pg_hba.conf:host all +clinical_read 10.0.0.0/8",
		"PG-HBA-NO-TLS pg_hba.conf:host all all samenet",
		"PG-HBA-NO-TLS ssl",
		"PG-HBA-TRUST pg_hba.conf:host all all 127.0.0.2/32",
		"PG-HBA-TRUST pg_hba.conf:local all all",
		"PG-HBA-TRUST pg_hba.conf:local replication all",
		"PG-MD5-PASSWORD pg_hba.conf:host all all samenet password",
		"PG-MD5-PASSWORD pg_hba.conf:host ehr legacy_md5_svc 127.0.0.1/32 md5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings on the corpus pg_hba.conf:\ngot:\n  %s\nwant:\n  %s",
			strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
