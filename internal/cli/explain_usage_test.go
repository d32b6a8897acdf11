package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
	"github.com/wardsec/ward/internal/store"
)

// TestExplainGrantedVsUsed stores events of etl_loader's sessions, as
// ward ingest does, and checks that explain shows what it used of its
// grants.
func TestExplainGrantedVsUsed(t *testing.T) {
	cfg := seedStore(t, "")
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg), "ward.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := storeT0.Add(2 * time.Hour)
	evs := []inventory.Event{
		{Time: at, Source: "ehr", User: "etl_loader", Database: "ehr",
			Action: inventory.ActionConnect, Outcome: inventory.OutcomeSuccess,
			Application: "loader/1.2", ClientAddr: "10.0.0.5", SessionID: "s1"},
		{Time: at.Add(time.Second), Source: "ehr", User: "etl_loader", Database: "ehr",
			Action: inventory.ActionAudit, Outcome: inventory.OutcomeSuccess, Command: "SELECT",
			ObjectType: "TABLE", ObjectName: "clinical.patient", SessionID: "s1",
			Application: "loader/1.2", ClientAddr: "10.0.0.5",
			Audit: inventory.AuditFields{Type: "SESSION", StatementID: 1, SubstatementID: 1,
				Class: "READ"}},
	}
	seg := &logtail.Segment{Path: "pg.csv", Format: pglog.FormatCSV,
		Start: logtail.Checkpoint{Path: "pg.csv", Format: pglog.FormatCSV},
		End:   logtail.Checkpoint{Path: "pg.csv", Format: pglog.FormatCSV, Offset: 200, Line: 2}}
	b, err := st.LogWriter("ehr").Begin(ctx, seg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range evs {
		evs[i].Pos = inventory.Position{File: "pg.csv", Offset: int64(i * 100), Line: int64(i + 1)}
		if err := b.AddEvent(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, stdout, stderr := run(t, "explain", "-c", cfg, "ehr/etl_loader")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"Granted vs used (logs from",
		`programs "loader/1.2" (1 session)`,
		"SELECT on table ehr.clinical.patient (via clinical_read): used once",
		"DELETE on table ehr.clinical.patient (via admins (after SET ROLE)): not used in these logs",
	} {
		if !strings.Contains(flat(stdout), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}

	t.Run("another account of the source", func(t *testing.T) {
		code, stdout, _ := run(t, "explain", "-c", cfg, "ehr/contractor")
		if code != ExitOK || !strings.Contains(flat(stdout),
			"no session, failed login or statement of this account in these logs") {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
}
