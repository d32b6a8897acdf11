package watchtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
)

func parse(t *testing.T, format pglog.Format, text string) []inventory.Event {
	t.Helper()
	p, err := pglog.New(pglog.Options{Source: "s", Format: format})
	if err != nil {
		t.Fatal(err)
	}
	var evs []inventory.Event
	st, err := p.Parse(context.Background(), strings.NewReader(text), "f",
		pglog.Sink{Event: func(ev inventory.Event) error { evs = append(evs, ev); return nil }})
	if err != nil || st.Skipped > 0 {
		t.Fatalf("parse: %v, %d skipped", err, st.Skipped)
	}
	return evs
}

func TestLinesParse(t *testing.T) {
	at := time.Date(2026, 3, 2, 14, 5, 6, 789e6, time.UTC)
	conn := Connect(at, "etl_svc", "ehr", "psql", "10.1.2.3", 4242)
	audit := Audit(at, "etl_svc", "ehr", "psql", "10.1.2.3", 4242, "READ", "SELECT", "TABLE",
		"clinical.patient", "SELECT a, b FROM clinical.patient WHERE x = 'y'")
	fail := AuthFailed(at, "etl_svc", "ehr", "10.1.2.4", 4243)
	tests := []struct {
		name   string
		format pglog.Format
		text   string
		want   []inventory.Event
	}{
		{"csv", pglog.FormatCSV, conn.CSV() + audit.CSV() + fail.CSV(), []inventory.Event{
			{User: "etl_svc", Action: inventory.ActionConnect, Application: "psql",
				ClientAddr: "10.1.2.3"},
			{User: "etl_svc", Action: inventory.ActionAudit, Command: "SELECT",
				ObjectType: "TABLE", ObjectName: "clinical.patient", ClientAddr: "10.1.2.3"},
			{User: "etl_svc", Action: inventory.ActionAuthFailed, ClientAddr: "10.1.2.4"},
		}},
		{"stderr", pglog.FormatStderr, conn.Stderr(), []inventory.Event{
			{User: "etl_svc", Action: inventory.ActionConnect, Application: "psql"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parse(t, tt.format, tt.text)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.User != w.User || g.Action != w.Action || g.Command != w.Command ||
					g.ObjectName != w.ObjectName || g.ObjectType != w.ObjectType ||
					(w.Application != "" && g.Application != w.Application) ||
					g.ClientAddr != w.ClientAddr || !g.Time.Equal(at) {
					t.Errorf("event %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}
