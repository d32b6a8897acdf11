package rules

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// checkNoOwner is ACCT-NO-OWNER: a login of a covered kind with no owner,
// neither on the account (set by the connector or the owners file) nor in
// an owners-file entry for it. It has no fix: the owner is a fact only a
// person can supply.
func checkNoOwner(e *eval, r Rule) []inventory.Finding {
	var out []inventory.Finding
	for i := range e.snap.Accounts {
		a := &e.snap.Accounts[i]
		if !r.Applies(a.Kind) || !e.isLogin(a) || strings.TrimSpace(a.Owner) != "" {
			continue
		}
		o, listed := e.owner(a)
		if listed && strings.TrimSpace(o.Owner) != "" {
			continue
		}

		ev := []string{"no owner on the account and none in the owners file", kindEvidence(a)}
		if listed {
			ev[0] = fmt.Sprintf("the owners file lists the account (line %d) without an owner",
				o.Line)
		}
		t := target{account: a, resource: "owner", evidence: ev}
		t.phi, t.phiWhy = e.phiReach(a)
		out = append(out, e.finding(r, t))
	}
	return out
}
