package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// csvRow is a csvlog row of a statement by etl_loader at second sec, the
// session's line sec.
func csvRow(sec int, stmt string) string {
	return `2026-12-04 15:11:` + twoDigits(sec) + `.000 UTC,"etl_loader","ehr",25965,` +
		`"10.0.0.5:33990",6b12d83e.656d,` + twoDigits(sec) + `,"SELECT",2026-12-04 15:11:00 UTC,3/53,0,LOG,00000,` +
		`"statement: ` + strings.ReplaceAll(stmt, `"`, `""`) + `",,,,,,,,,"psql","client backend",,0` + "\n"
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10%10), byte('0' + n%10)}) }

// TestBadInput ingests a log with garbage, invalid UTF-8, a 10 MB
// statement and a truncated last line: the readable rows are stored, the
// rest counted with the first place, nothing fails.
func TestBadInput(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(csvRow(1, "SELECT 1"))
	b.WriteString("\x00\x01\xfe binary garbage \xff\n") // line 2
	b.WriteString(csvRow(2, "SELECT 'caf\xe9'"))        // invalid UTF-8: repaired
	b.WriteString(csvRow(3, "SELECT '"+strings.Repeat("x", 10<<20)+"'"))
	b.WriteString(csvRow(4, "SELECT 4"))
	b.WriteString(csvRow(5, "SELECT 5")[:60]) // truncated, no newline

	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(path, past, past)
	st := openStore(t, filepath.Join(t.TempDir(), "ward.db"))
	s := ingest(t, st, "ehr", path)

	if s.Events != 4 {
		t.Errorf("%d events stored, want the 4 readable statements", s.Events)
	}
	if s.Skipped < 2 || s.FirstSkipped.Line != 2 || s.FirstSkipped.File != path {
		t.Errorf("skipped %d, first at %s:%d; want the garbage line 2 and the truncated one",
			s.Skipped, s.FirstSkipped.File, s.FirstSkipped.Line)
	}
	if s.Repaired != 1 || s.FirstRepaired.Line != 3 {
		t.Errorf("repaired %d, first at line %d; want 1 at line 3", s.Repaired, s.FirstRepaired.Line)
	}
	var long bool
	for _, e := range storedEvents(t, st, "ehr") {
		long = long || e.Time.Second() == 3 && e.StatementTruncated
	}
	if !long {
		t.Error("the 10 MB statement was not stored as a truncated shape")
	}
}
