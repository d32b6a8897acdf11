package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// cleanPG returns the settings of a well-configured PostgreSQL 15 server:
// no rule should fire on them.
func cleanPG() *inventory.PGSettings {
	return &inventory.PGSettings{
		ServerVersion:      "15.18",
		ServerVersionNum:   150018,
		PasswordEncryption: "scram-sha-256",
		SSL:                "on",
		LogConnections:     "on",
		PreloadLibraries:   "pgaudit",
		PgauditLoaded:      true,
		PgauditLog:         "read,write,role,ddl,misc_set",
		Other:              map[string]string{"log_statement": "ddl"},
		HBA: []inventory.HBARule{
			hba(1, "local", "all", "postgres", "", "peer"),
			hba(2, "hostssl", "all", "all", "10.0.0.0/8", "scram-sha-256"),
			hba(3, "host", "all", "all", "127.0.0.1/32", "scram-sha-256"),
			hba(4, "host", "all", "all", "0.0.0.0/0", "reject"),
		},
		HBAFrom: "pg_hba_file_rules",
	}
}

func hba(line int, typ, db, user, addr, method string, opts ...string) inventory.HBARule {
	return inventory.HBARule{
		Line: line, Type: typ, Database: []string{db}, User: []string{user},
		Address: addr, Method: method, Options: opts,
	}
}

// snap builds a PostgreSQL snapshot named "ehr" with clean settings and the
// given accounts.
func snap(accounts ...inventory.Account) *inventory.Snapshot {
	return &inventory.Snapshot{
		Source:   "ehr",
		Type:     "postgres",
		Postgres: cleanPG(),
		Accounts: accounts,
	}
}

// svc builds a service login with an owner, inheriting, with no powers.
func svc(name string) inventory.Account {
	return inventory.Account{
		ID:          inventory.AccountID("ehr", name),
		Source:      "ehr",
		Name:        name,
		Kind:        inventory.KindService,
		KindReasons: []string{"name ends in _svc"},
		Owner:       "team-clinical",
		Attributes:  inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1},
	}
}

// with applies changes to an account and returns it.
func with(a inventory.Account, fns ...func(*inventory.Account)) inventory.Account {
	for _, f := range fns {
		f(&a)
	}
	return a
}

func phiGrant(res string) inventory.Grant {
	return inventory.Grant{Privilege: "SELECT", Resource: res, ResourceType: "table",
		PHI: true, Via: "clinical_read", Path: []string{"clinical_read"}}
}

// got is the part of a finding the rule tables compare.
type got struct {
	Account  string
	Resource string
	Severity inventory.Severity
}

// ruleCase is one must-trigger or must-not-trigger case of a rule.
type ruleCase struct {
	name   string
	snap   *inventory.Snapshot
	owners []config.Owner
	want   []got
}

// runRule evaluates each case and compares the rule's findings, by account,
// resource and severity, with want. It returns nothing; failures name the
// case.
func runRule(t *testing.T, ruleID string, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := only(Evaluate(Input{Snapshot: tc.snap, Owners: tc.owners}), ruleID)
			var have []got
			for _, f := range fs {
				have = append(have, got{Account: f.AccountID, Resource: f.Resource, Severity: f.Severity})
			}
			if diff := cmp.Diff(tc.want, have); diff != "" {
				t.Errorf("findings of %s (-want +got):\n%s\nevidence: %v", ruleID, diff, evidenceOf(fs))
			}
		})
	}
}

func only(fs []inventory.Finding, ruleID string) []inventory.Finding {
	var out []inventory.Finding
	for _, f := range fs {
		if f.RuleID == ruleID {
			out = append(out, f)
		}
	}
	return out
}

func evidenceOf(fs []inventory.Finding) [][]string {
	var out [][]string
	for _, f := range fs {
		out = append(out, f.Evidence)
	}
	return out
}

// findOne returns the single finding of ruleID on account and resource,
// failing the test otherwise. account is an account ID, or "" for a finding
// about the source.
func findOne(t *testing.T, fs []inventory.Finding, ruleID, account, resource string) inventory.Finding {
	t.Helper()
	var match []inventory.Finding
	for _, f := range fs {
		if f.RuleID == ruleID && f.AccountID == account && f.Resource == resource {
			match = append(match, f)
		}
	}
	if len(match) != 1 {
		t.Fatalf("want 1 %s finding on %q, got %d: %+v", ruleID, resource, len(match), match)
	}
	return match[0]
}

func hasEvidence(f inventory.Finding, substr string) bool {
	return slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, substr) })
}
