package usage

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/inventory"
)

func TestUsesOf(t *testing.T) {
	audit := func(class, cmd, typ, obj, stmt string) inventory.Event {
		return inventory.Event{Time: t0, Database: "ehr", Action: inventory.ActionAudit,
			Command: cmd, ObjectType: typ, ObjectName: obj, Statement: stmt,
			Audit: inventory.AuditFields{Type: "SESSION", StatementID: 1, Class: class}}
	}
	tests := []struct {
		name string
		ev   inventory.Event
		want []string // "TYPE object PRIVILEGE"
	}{
		{"select", audit("READ", "SELECT", "TABLE", "clinical.patient", ""),
			[]string{"TABLE clinical.patient SELECT"}},
		{"source of an insert select", audit("READ", "INSERT", "TABLE", "clinical.patient", ""),
			[]string{"TABLE clinical.patient SELECT"}},
		{"copy to", audit("READ", "COPY", "TABLE", "clinical.patient", ""),
			[]string{"TABLE clinical.patient SELECT"}},
		{"view", audit("READ", "SELECT", "VIEW", "clinical.directory", ""),
			[]string{"VIEW clinical.directory SELECT"}},
		{"read of no relation", audit("READ", "SELECT", "", "", "SELECT 1"),
			[]string{"  SELECT"}},
		{"insert", audit("WRITE", "INSERT", "TABLE", "clinical.encounter", "INSERT ..."),
			[]string{"TABLE clinical.encounter INSERT"}},
		{"upsert", audit("WRITE", "INSERT", "TABLE", "t.x",
			"insert into t.x values (1) on conflict (id) do update set n = 2"),
			[]string{"TABLE t.x INSERT", "TABLE t.x UPDATE"}},
		{"insert on conflict do nothing", audit("WRITE", "INSERT", "TABLE", "t.x",
			"INSERT INTO t.x VALUES (1) ON CONFLICT DO NOTHING"), []string{"TABLE t.x INSERT"}},
		{"update", audit("WRITE", "UPDATE", "TABLE", "t.x", ""), []string{"TABLE t.x UPDATE"}},
		{"delete", audit("WRITE", "DELETE", "TABLE", "t.x", ""), []string{"TABLE t.x DELETE"}},
		{"truncate", audit("WRITE", "TRUNCATE TABLE", "TABLE", "t.x", ""),
			[]string{"TABLE t.x TRUNCATE"}},
		{"copy from", audit("WRITE", "COPY", "TABLE", "t.x", ""), []string{"TABLE t.x INSERT"}},
		{"merge", audit("WRITE", "MERGE", "TABLE", "t.x", ""),
			[]string{"TABLE t.x INSERT", "TABLE t.x UPDATE", "TABLE t.x DELETE"}},
		{"select for update", audit("WRITE", "SELECT", "TABLE", "t.x", ""),
			[]string{"TABLE t.x UPDATE"}},
		{"create table", audit("DDL", "CREATE TABLE", "TABLE", "etl.stage", ""),
			[]string{"SCHEMA etl CREATE"}},
		{"create table as", audit("DDL", "CREATE TABLE AS", "TABLE", "etl.stage", ""),
			[]string{"SCHEMA etl CREATE"}},
		{"create function", audit("DDL", "CREATE FUNCTION", "FUNCTION", "etl.f()", ""),
			[]string{"SCHEMA etl CREATE"}},
		{"create schema", audit("DDL", "CREATE SCHEMA", "SCHEMA", "etl", ""),
			[]string{"DATABASE ehr CREATE"}},
		// An index goes with its table: its owner creates it, no CREATE on
		// the schema is needed.
		{"create index", audit("DDL", "CREATE INDEX", "INDEX", "etl.stage_pkey", ""),
			[]string{"INDEX etl.stage_pkey CREATE INDEX"}},
		{"alter table", audit("DDL", "ALTER TABLE", "TABLE", "etl.stage", ""),
			[]string{"TABLE etl.stage ALTER TABLE"}},
		{"function call", audit("FUNCTION", "EXECUTE", "FUNCTION", "clinical.lookup", ""),
			[]string{"FUNCTION clinical.lookup EXECUTE"}},
		{"role", audit("ROLE", "ALTER ROLE", "", "", ""), []string{"  ALTER ROLE"}},
		{"set role", audit("MISC_SET", "SET", "", "", ""), []string{"  SET"}},
		{"not an audit row", inventory.Event{Action: inventory.ActionStatement,
			Command: "SELECT", ObjectName: "t.x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, u := range UsesOf(tt.ev) {
				if u.Count != 1 || !u.First.Equal(t0) || !u.Last.Equal(t0) || u.Database != "ehr" {
					t.Errorf("use %+v: want count 1 at t0 in ehr", u)
				}
				got = append(got, u.ObjectType+" "+u.Object+" "+u.Privilege)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("uses (-want +got):\n%s", d)
			}
		})
	}
}

func TestUseResource(t *testing.T) {
	tests := []struct {
		use  Use
		want string
	}{
		{Use{Database: "ehr", ObjectType: "TABLE", Object: "clinical.patient"}, "ehr.clinical.patient"},
		{Use{Database: "ehr", ObjectType: "SCHEMA", Object: "etl"}, "ehr.etl"},
		{Use{Database: "ehr", ObjectType: "DATABASE", Object: "ehr"}, "ehr"},
		{Use{Database: "ehr", Privilege: "ALTER ROLE"}, ""},
		{Use{ObjectType: "TABLE", Object: "patient"}, "patient"},
	}
	for _, tt := range tests {
		if got := tt.use.Resource(); got != tt.want {
			t.Errorf("%+v: Resource = %q, want %q", tt.use, got, tt.want)
		}
	}
}

func TestUseOf(t *testing.T) {
	a := &Account{Uses: []Use{
		{Database: "ehr", ObjectType: "TABLE", Object: "clinical.patient", Privilege: "SELECT", Count: 3},
		{Database: "ehr", ObjectType: "SCHEMA", Object: "etl", Privilege: "CREATE", Count: 1},
	}}
	tests := []struct {
		priv, typ, res string
		want           int64
	}{
		{"SELECT", "table", "ehr.clinical.patient", 3},
		{"select", "column", "ehr.clinical.patient.ssn", 3},
		{"UPDATE", "table", "ehr.clinical.patient", 0},
		{"SELECT", "table", "research.clinical.patient", 0},
		{"CREATE", "schema", "ehr.etl", 1},
	}
	for _, tt := range tests {
		u, ok := a.UseOf(tt.priv, tt.typ, tt.res)
		if ok != (tt.want > 0) || u.Count != tt.want {
			t.Errorf("UseOf(%s, %s, %s) = %d, %v; want %d", tt.priv, tt.typ, tt.res, u.Count, ok, tt.want)
		}
	}
	var none *Account
	if _, ok := none.UseOf("SELECT", "table", "ehr.clinical.patient"); ok {
		t.Error("a nil account used something")
	}
}
