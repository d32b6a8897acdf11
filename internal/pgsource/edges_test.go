package pgsource

import (
	"context"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// TestEdge11ExpiredRoleKeepsPrivileges reproduces db-realities §4 edge 11:
// a login role past VALID UNTIL that still holds a privilege cannot be
// dropped, and such orphans pile up. The scan must show both facts: the
// expiry and the grant that keeps the role alive.
func TestEdge11ExpiredRoleKeepsPrivileges(t *testing.T) {
	estate(t)
	ctx := context.Background()
	srv.MustExec(t, "postgres", `
CREATE ROLE edge11_dyn LOGIN VALID UNTIL '2000-01-01 00:00:00+00';`)
	srv.MustExec(t, "ehr", `
CREATE SCHEMA edge11;
GRANT USAGE ON SCHEMA edge11 TO edge11_dyn;
CREATE SEQUENCE edge11.q;
GRANT USAGE ON SEQUENCE edge11.q TO edge11_dyn;`)
	// Roles are cluster-wide and other tests list them all: remove the
	// role's objects, then the role, afterwards.
	t.Cleanup(func() {
		srv.MustExec(t, "ehr", "DROP SCHEMA edge11 CASCADE")
		srv.MustExec(t, "postgres", "DROP ROLE edge11_dyn")
	})
	if err := srv.Exec(ctx, "postgres", "DROP ROLE edge11_dyn"); err == nil {
		t.Fatal("DROP ROLE succeeded; the reproduction needs a role that cannot be dropped")
	}

	a := account(t, scanAs(t, "ward_scanner"), "edge11_dyn")
	if a.Attributes.ValidUntil == nil || !a.Attributes.ValidUntil.Before(time.Now()) {
		t.Errorf("valid until = %v, want a time in the past", a.Attributes.ValidUntil)
	}
	var held bool
	for _, g := range a.Grants {
		if g.Resource == "ehr.edge11.q" && g.Privilege == "USAGE" && g.Via == inventory.ViaDirect {
			held = true
		}
	}
	if !held {
		t.Errorf("the expired role's USAGE on ehr.edge11.q is missing; grants: %v",
			grantLines(a, "ehr.edge11", false))
	}
}

// TestEdge19PublicCreateOnPublicSchema reproduces edge 19: PostgreSQL 15
// took CREATE on schema public away from PUBLIC in new clusters, while
// clusters upgraded from 14 or earlier keep it. A fresh cluster must show
// only USAGE for PUBLIC; once CREATE is granted back (as on an upgraded
// cluster) the scan shows it, and on every account, since it is not a
// built-in default any more.
func TestEdge19PublicCreateOnPublicSchema(t *testing.T) {
	estate(t)
	srv.MustExec(t, "postgres", "CREATE DATABASE edge19")
	// Other tests of this package count PUBLIC's grants on every database.
	t.Cleanup(func() { srv.MustExec(t, "postgres", "DROP DATABASE edge19") })

	has := func(gs []inventory.Grant, priv string) bool {
		for _, g := range gs {
			if g.Resource == "edge19.public" && g.Privilege == priv {
				return true
			}
		}
		return false
	}
	snap := scanAs(t, "ward_scanner")
	if !has(snap.PublicGrants, "USAGE") || has(snap.PublicGrants, "CREATE") {
		t.Errorf("fresh PG15 cluster: PUBLIC on edge19.public should have USAGE and not CREATE; got %v",
			snap.PublicGrants)
	}

	srv.MustExec(t, "edge19", "GRANT CREATE ON SCHEMA public TO PUBLIC")
	snap = scanAs(t, "ward_scanner")
	if !has(snap.PublicGrants, "CREATE") {
		t.Errorf("after GRANT CREATE TO PUBLIC the scan does not show it")
	}
	if !has(account(t, snap, "alice").Grants, "CREATE") {
		t.Errorf("an explicit PUBLIC grant must also appear on each account (alice)")
	}
}
