package classify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// login returns a PostgreSQL login account with no other attribute.
func login(name string) inventory.Account {
	return inventory.Account{
		ID: inventory.AccountID("ehr", name), Source: "ehr", Name: name,
		Attributes: inventory.Attributes{CanLogin: true, Inherit: true, ConnLimit: -1},
	}
}

// classifyOne classifies a in a PostgreSQL snapshot of source "ehr" with the
// given sessions (user names are set to a's) and owners.
func classifyOne(t *testing.T, a inventory.Account, apps []string, owners []config.Owner) inventory.Account {
	t.Helper()
	s := &inventory.Snapshot{Source: "ehr", Type: "postgres", Accounts: []inventory.Account{a}}
	for _, app := range apps {
		s.Sessions = append(s.Sessions, inventory.Session{User: a.Name, Database: "ehr", Application: app})
	}
	Classify(s, owners)
	got := s.Accounts[0]
	if len(got.KindReasons) == 0 {
		t.Fatalf("%s: no reasons", a.Name)
	}
	for _, r := range got.KindReasons {
		if strings.TrimSpace(r) == "" {
			t.Fatalf("%s: empty reason in %q", a.Name, got.KindReasons)
		}
	}
	return got
}

type kindCase struct {
	name    string
	account inventory.Account
	apps    []string
	want    inventory.Kind
	reasons []string // each must be among the account's reasons
	absent  []string // no reason may contain any of these
}

func runKindCases(t *testing.T, cases []kindCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := classifyOne(t, tt.account, tt.apps, nil)
			if got.Kind != tt.want {
				t.Errorf("%s: kind %s, want %s; reasons %q", tt.account.Name, got.Kind, tt.want, got.KindReasons)
			}
			for _, r := range tt.reasons {
				if !slices.Contains(got.KindReasons, r) {
					t.Errorf("%s: reasons %q lack %q", tt.account.Name, got.KindReasons, r)
				}
			}
			for _, bad := range tt.absent {
				for _, r := range got.KindReasons {
					if strings.Contains(r, bad) {
						t.Errorf("%s: reason %q contains %q", tt.account.Name, r, bad)
					}
				}
			}
		})
	}
}

func TestNameSignals(t *testing.T) {
	runKindCases(t, []kindCase{
		{name: "etl loader", account: login("etl_loader"), want: service,
			reasons: []string{`name token "etl"`, `name token "loader"`}},
		{name: "ehr api", account: login("ehr_api"), want: service, reasons: []string{`name token "api"`}},
		{name: "repl svc", account: login("repl_svc"), want: service,
			reasons: []string{`name token "repl"`, `name token "svc"`}},
		{name: "camel case", account: login("EtlLoader"), want: service, reasons: []string{`name token "etl"`}},
		{name: "digits kept for hl7", account: login("hl7_inbound"), want: service,
			reasons: []string{`name token "hl7"`}},
		{name: "trailing digits", account: login("app2"), want: service, reasons: []string{`name token "app"`}},
		{name: "plural jobs", account: login("nightly-jobs"), want: service},
		{name: "whole tokens only", account: login("jobson"), want: inventory.KindUnknown,
			absent: []string{`"job"`}},
		{name: "reader alone is not enough", account: login("ehr_reader"), want: inventory.KindUnknown,
			reasons: []string{`name token "reader"`, "no signal decided: service 2, human 0"}},
		{name: "report writer", account: login("report_writer"), want: service},
		{name: "label printer alone", account: login("label_printer"), want: inventory.KindUnknown,
			reasons: []string{`name token "printer"`}},
		{name: "dotted person", account: login("maria.lopez"), want: human,
			reasons: []string{"dotted person-like name"}},
		{name: "dotted with initial", account: login("maria.c.lopez"), want: human},
		{name: "dotted non-ascii", account: login("josé.garcía"), want: human},
		{name: "dotted service words", account: login("ehr.api"), want: service,
			absent: []string{"person"}},
		{name: "dba prefix", account: login("dba_anna"), want: human,
			reasons: []string{`dba login named for a person ("anna")`}},
		{name: "admin suffix", account: login("anna_admin"), want: human},
		{name: "dba with generic word", account: login("dba_tools"), want: inventory.KindUnknown,
			reasons: []string{"no signal decided: no name, attribute, comment or session hint"}},
		{name: "admin with service word", account: login("admin_backup"), want: service,
			absent: []string{"person"}},
		{name: "email", account: login("maria.lopez@hospital.org"), want: human,
			reasons: []string{"e-mail-like name", "dotted person-like name"}},
		{name: "machine identity email", account: login("etl@ehr-prod.iam.gserviceaccount.com"),
			want: service, reasons: []string{`machine identity domain "gserviceaccount.com"`}},
		{name: "single word is weak", account: login("alice"), want: inventory.KindUnknown,
			reasons: []string{`single-word name "alice", possibly a person's`}},
		{name: "short single word", account: login("jdoe2"), want: inventory.KindUnknown},
		{name: "two words are weak", account: login("maria_lopez"), want: inventory.KindUnknown,
			reasons: []string{"two-word name, possibly a person's"}},
		{name: "generic word", account: login("postgres"), want: inventory.KindUnknown,
			absent: []string{"person"}},
		{name: "nothing", account: login("x9"), want: inventory.KindUnknown,
			reasons: []string{"no signal decided: no name, attribute, comment or session hint"}},
	})
}

func TestAttributeSignals(t *testing.T) {
	with := func(name string, f func(*inventory.Attributes)) inventory.Account {
		a := login(name)
		f(&a.Attributes)
		return a
	}
	until := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	runKindCases(t, []kindCase{
		{name: "replication", account: with("x9", func(at *inventory.Attributes) { at.Replication = true }),
			want: service, reasons: []string{"REPLICATION attribute"}},
		{name: "a superuser's replication says nothing",
			account: with("x9", func(at *inventory.Attributes) { at.Replication, at.Superuser = true, true }),
			want:    inventory.KindUnknown, absent: []string{"REPLICATION"}},
		{name: "connection limit alone", account: with("x9", func(at *inventory.Attributes) { at.ConnLimit = 20 }),
			want: inventory.KindUnknown, reasons: []string{"connection limit 20"}},
		{name: "connection limit 0 says nothing",
			account: with("x9", func(at *inventory.Attributes) { at.ConnLimit = 0 }),
			want:    inventory.KindUnknown, absent: []string{"connection limit"}},
		{name: "valid until alone", account: with("x9", func(at *inventory.Attributes) { at.ValidUntil = &until }),
			want: inventory.KindUnknown, reasons: []string{"VALID UNTIL 2027-06-30"}},
		{name: "reader with connection limit",
			account: with("ehr_reader", func(at *inventory.Attributes) { at.ConnLimit = 20 }), want: service},
		{name: "settings and limit", account: with("x9", func(at *inventory.Attributes) {
			at.ConnLimit = 5
			at.Config = []string{"statement_timeout=30s", "application_name=CANARY-FAKE-value",
				"search_path=ehr", "pgaudit.log=none"}
		}), want: service,
			reasons: []string{"role setting statement_timeout", "role setting application_name"},
			absent:  []string{"CANARY", "30s", "pgaudit", "search_path"}}, // capped at two, names only
		{name: "person with replication stays undecided",
			account: with("maria.lopez", func(at *inventory.Attributes) { at.Replication = true }),
			want:    inventory.KindUnknown, reasons: []string{"no signal decided: service 3, human 3"}},
	})
}

func TestCommentAndGroupSignals(t *testing.T) {
	commented := func(name, comment string) inventory.Account {
		a := login(name)
		a.Attributes.Comment = comment
		return a
	}
	member := func(a inventory.Account, roles ...string) inventory.Account {
		for _, r := range roles {
			a.Memberships = append(a.Memberships, inventory.Membership{Role: r, Inherit: true})
		}
		return a
	}
	runKindCases(t, []kindCase{
		{name: "service account comment", account: commented("x9", "owner: ehr-api team; service account"),
			want: service, reasons: []string{`comment says "service account"`}},
		{name: "personal comment", account: commented("x9", "Personal account of Dr. Smith"),
			want: human, reasons: []string{`comment says "personal account"`}},
		{name: "comment without hint", account: commented("x9", "created 2021, ticket OPS-12"),
			want: inventory.KindUnknown},
		{name: "human group alone is faint", account: member(login("x9"), "dba_team"),
			want: inventory.KindUnknown, reasons: []string{`member of "dba_team"`}},
		{name: "human group and single word", account: member(login("alice"), "analysts"),
			want: inventory.KindUnknown, reasons: []string{"no signal decided: service 0, human 2"}},
		{name: "service group and reader", account: member(login("ehr_reader"), "etl_group"),
			want: service, reasons: []string{`member of "etl_group"`}},
	})
}

func TestSessionSignals(t *testing.T) {
	runKindCases(t, []kindCase{
		{name: "psql alone", account: login("x9"), apps: []string{"psql"}, want: inventory.KindUnknown,
			reasons: []string{`interactive client "psql" in open session`}},
		{name: "single word with psql", account: login("alice"), apps: []string{"psql"}, want: human},
		{name: "pgadmin", account: login("alice"), apps: []string{"pgAdmin 4 - CONN:4021"}, want: human},
		{name: "dbeaver", account: login("alice"), apps: []string{"DBeaver 23.1.0 - Main <ehr>"}, want: human},
		{name: "odbc driver is a program", account: login("x9"), apps: []string{"psqlodbc"},
			want: inventory.KindUnknown, reasons: []string{`program "psqlodbc" in open session`}},
		{name: "reader with program", account: login("ehr_reader"), apps: []string{"ehr-api/2.3.1"},
			want: service},
		{name: "label printer with agent", account: login("label_printer"), apps: []string{"zebra-print-agent"},
			want: service},
		{name: "several programs", account: login("ehr_reader"),
			apps: []string{"ehr-api/2.3.1", "PostgreSQL JDBC Driver", "ehr-api/2.3.1", ""},
			want: service, reasons: []string{`programs "ehr-api/2.3.1" and 1 more in open sessions`}},
		{name: "service with psql still service", account: login("etl_loader"), apps: []string{"psql"},
			want: service, reasons: []string{`interactive client "psql" in open session`}},
		{name: "long app name clipped", account: login("x9"),
			apps: []string{strings.Repeat("é", 30)}, want: inventory.KindUnknown,
			reasons: []string{`program "` + strings.Repeat("é", 20) + `…" in open session`}},
	})
}

func TestOwnersOverride(t *testing.T) {
	owners := []config.Owner{
		{Account: "ehr/x9", Owner: "ehr-api team", Purpose: "order intake"},
		{Account: "ehr/maria.lopez", Owner: "it-ops", Purpose: "shared login"},
		{Account: "ehr/group_role", Owner: "it-ops"},
		{Account: "crm/alice", Owner: "sales"},
	}
	tests := []struct {
		name        string
		account     inventory.Account
		want        inventory.Kind
		wantOwner   string
		wantPurpose string
		reasons     []string
	}{
		{"listed without signals", login("x9"), service, "ehr-api team", "order intake",
			[]string{reasonOwners}},
		{"listed person keeps the warning", login("maria.lopez"), service, "it-ops", "shared login",
			[]string{reasonOwners, "signals alone say human (service 0, human 3)", "dotted person-like name"}},
		{"listed group role", inventory.Account{ID: "ehr/group_role", Name: "group_role"}, service, "it-ops", "",
			[]string{reasonOwners}},
		{"other source's entry", login("alice"), inventory.KindUnknown, "kept", "kept", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.account
			a.Owner, a.Purpose = "kept", "kept"
			got := classifyOne(t, a, nil, owners)
			if got.Kind != tt.want || got.Owner != tt.wantOwner || got.Purpose != tt.wantPurpose {
				t.Errorf("got kind %s owner %q purpose %q, want %s %q %q",
					got.Kind, got.Owner, got.Purpose, tt.want, tt.wantOwner, tt.wantPurpose)
			}
			if tt.reasons != nil && !slices.Equal(got.KindReasons, tt.reasons) {
				t.Errorf("reasons %q, want %q", got.KindReasons, tt.reasons)
			}
		})
	}
}

func TestBootstrapAndGroups(t *testing.T) {
	boot := login("postgres")
	boot.Attributes.Superuser, boot.Attributes.Bootstrap = true, true

	bootApp := login("ehr_app")
	bootApp.Attributes.Superuser, bootApp.Attributes.Bootstrap = true, true

	group := inventory.Account{ID: "ehr/etl_group", Name: "etl_group"}

	tests := []struct {
		name    string
		account inventory.Account
		apps    []string
		want    inventory.Kind
		reasons []string
	}{
		{"bootstrap alone", boot, nil, inventory.KindUnknown,
			[]string{reasonBootstrap, "no signal decided: no name, attribute, comment or session hint"}},
		{"bootstrap used from psql", boot, []string{"psql"}, inventory.KindUnknown,
			[]string{reasonBootstrap, "no signal decided: service 0, human 2",
				`interactive client "psql" in open session`}},
		{"bootstrap named for an app", bootApp, nil, service,
			[]string{reasonBootstrap, `name token "app"`}},
		{"group role", group, nil, inventory.KindUnknown, []string{reasonNoLogin}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classifyOne(t, tt.account, tt.apps, nil)
			if got.Kind != tt.want || !slices.Equal(got.KindReasons, tt.reasons) {
				t.Errorf("got %s %q, want %s %q", got.Kind, got.KindReasons, tt.want, tt.reasons)
			}
		})
	}
}

func TestNoLoginOutsidePostgres(t *testing.T) {
	// A source without a LOGIN attribute leaves CanLogin false: its accounts
	// are still classified.
	s := &inventory.Snapshot{Source: "k8s", Type: "kubernetes",
		Accounts: []inventory.Account{{ID: "k8s/payments/api", Name: "payments/api"}}}
	Classify(s, nil)
	if got := s.Accounts[0]; got.Kind != service {
		t.Errorf("kind %s, want service; reasons %q", got.Kind, got.KindReasons)
	}
}

func TestClassifyFillsMissingID(t *testing.T) {
	a := login("x9")
	a.ID = ""
	got := classifyOne(t, a, nil, []config.Owner{{Account: "ehr/x9", Owner: "team"}})
	if got.Kind != service || got.Owner != "team" {
		t.Errorf("owners entry not matched by source/name: %s %q", got.Kind, got.Owner)
	}
}

// FuzzClassify checks that any name, comment and application name yields a
// kind and at least one non-empty reason, without panicking.
func FuzzClassify(f *testing.F) {
	f.Add("etl_loader", "service account", "psql", true)
	f.Add("maria.lopez@hospital.org", "", "pgAdmin 4", false)
	f.Add("@.", "\xff", "\xff\xfe", true)
	f.Fuzz(func(t *testing.T, name, comment, app string, canLogin bool) {
		a := login(name)
		a.Attributes.CanLogin = canLogin
		a.Attributes.Comment = comment
		a.Memberships = []inventory.Membership{{Role: comment}}
		got := classifyOne(t, a, []string{app}, nil)
		switch got.Kind {
		case service, human, inventory.KindUnknown:
		default:
			t.Fatalf("kind %q", got.Kind)
		}
	})
}
