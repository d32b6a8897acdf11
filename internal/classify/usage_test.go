package classify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/usage"
)

// logged builds the usage of source "ehr" with n sessions of user from
// each app, one a day, all from addr.
func logged(user, addr string, n int, apps ...string) *usage.Usage {
	b := usage.NewBuilder("ehr", usage.Options{})
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		for _, app := range apps {
			b.Add(inventory.Event{Time: start.Add(time.Duration(i) * 24 * time.Hour),
				Source: "ehr", User: user, Action: inventory.ActionConnect,
				Application: app, ClientAddr: addr})
		}
	}
	return b.Usage()
}

// mixed builds the usage of source "ehr" with the given number of sessions
// of user per application, one a day, all from addr.
func mixed(user, addr string, apps map[string]int) *usage.Usage {
	b := usage.NewBuilder("ehr", usage.Options{})
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for app, n := range apps {
		for i := range n {
			b.Add(inventory.Event{Time: start.Add(time.Duration(i) * time.Hour),
				Source: "ehr", User: user, Action: inventory.ActionConnect,
				Application: app, ClientAddr: addr})
		}
	}
	return b.Usage()
}

// bootstrap returns the bootstrap superuser name as the server reports it.
func bootstrap(name string) inventory.Account {
	a := login(name)
	a.Attributes.Superuser, a.Attributes.Bootstrap = true, true
	return a
}

func TestUsageSignals(t *testing.T) {
	tests := []struct {
		name    string
		account inventory.Account
		usage   *usage.Usage
		open    []string // applications of open sessions
		want    inventory.Kind
		reasons []string
		absent  []string
	}{
		{
			// Used by hand, it stays a service: SA-INTERACTIVE-USE reports it.
			name: "service name, psql only", account: login("etl_svc"),
			usage: logged("etl_svc", "10.0.0.5", 3, "psql"), want: service,
			reasons: []string{`only interactive clients ("psql") in 3 logged sessions`},
		},
		{
			name: "reader with a program", account: login("ehr_reader"),
			usage: logged("ehr_reader", "10.0.0.5", 3, "reporting/1.2"), want: service,
			reasons: []string{`program "reporting/1.2" in 3 logged sessions`},
		},
		{
			name: "several programs", account: login("ehr_reader"),
			usage: logged("ehr_reader", "10.0.0.5", 2, "reporting/1.2", "export"), want: service,
			reasons: []string{`programs "export" and 1 more in 4 logged sessions`},
		},
		{
			name: "a stable address and a program", account: login("x9"),
			usage: logged("x9", "10.0.0.5", 12, "worker"), want: service,
			reasons: []string{"one client address in 12 logged sessions"},
		},
		{
			name: "one word, a GUI", account: login("alice"),
			usage: logged("alice", "10.9.9.9", 3, "DBeaver 23.1.0 - Main"), want: inventory.KindUnknown,
			reasons: []string{`only interactive clients ("DBeaver 23.1.0 - Main") in 3 logged sessions`},
		},
		{
			name: "a person's name and a GUI", account: login("maria.lopez"),
			usage: logged("maria.lopez", "10.9.9.9", 3, "DBeaver 23.1.0 - Main"), want: human,
		},
		{
			// One dump among many psql sessions is no sign of software.
			name: "a DBA with one pg_dump", account: login("dba_maria"),
			usage:   mixed("dba_maria", "10.9.9.9", map[string]int{"pg_dump": 1, "psql": 10}),
			want:    human,
			reasons: []string{`mostly interactive clients ("psql") in 10 of 11 logged sessions`},
			absent:  []string{"program", "client address"},
		},
		{
			name: "a loader used once by hand", account: login("etl_loader"),
			usage: mixed("etl_loader", "10.0.0.5", map[string]int{"loader/2.0": 50, "psql": 1}),
			want:  service,
			reasons: []string{`program "loader/2.0" in 50 of 51 logged sessions`,
				"one client address in 51 logged sessions"},
		},
		{
			// Neither family carries a clear majority: no session hint.
			name: "programs without a clear majority", account: login("x9"),
			usage:  mixed("x9", "10.0.0.5", map[string]int{"worker": 6, "psql": 4}),
			want:   inventory.KindUnknown,
			absent: []string{"program", "interactive"},
		},
		{
			name: "bootstrap used from psql", account: bootstrap("postgres"),
			usage: mixed("postgres", "10.9.9.9", map[string]int{"psql": 20, "pg_dump": 2}),
			want:  inventory.KindUnknown,
			reasons: []string{reasonBootstrap,
				`mostly interactive clients ("psql") in 20 of 22 logged sessions`},
		},
		{
			// Only the owners file, or the name, may make it a service.
			name: "bootstrap used by a program", account: bootstrap("postgres"),
			usage: mixed("postgres", "10.0.0.5", map[string]int{"pg_dump": 12}),
			want:  inventory.KindUnknown,
			reasons: []string{reasonBootstrap, "no signal decided: service 0, human 0",
				`program "pg_dump" in 12 logged sessions` + notCounted,
				"one client address in 12 logged sessions" + notCounted},
		},
		{
			// The logs hold the open sessions' programs too: they replace them.
			name: "logged sessions replace open ones", account: login("ehr_reader"),
			usage: logged("ehr_reader", "10.0.0.5", 3, "reporting/1.2"), open: []string{"psql"},
			want:   service,
			absent: []string{"open session"},
		},
		{
			name: "no usage", account: login("ehr_reader"), open: []string{"reporting/1.2"},
			want: service, reasons: []string{`program "reporting/1.2" in open session`},
		},
		{
			name: "another source's usage", account: login("ehr_reader"),
			usage: func() *usage.Usage {
				u := logged("ehr_reader", "10.0.0.5", 3, "reporting/1.2")
				u.Source = "billing"
				return u
			}(),
			want: inventory.KindUnknown, absent: []string{"logged"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &inventory.Snapshot{Source: "ehr", Type: "postgres",
				Accounts: []inventory.Account{tt.account}}
			for _, app := range tt.open {
				s.Sessions = append(s.Sessions, inventory.Session{User: tt.account.Name,
					Application: app})
			}
			ClassifyUsage(s, nil, tt.usage)
			got := s.Accounts[0]
			if got.Kind != tt.want {
				t.Errorf("kind %s, want %s; reasons %q", got.Kind, tt.want, got.KindReasons)
			}
			for _, r := range tt.reasons {
				if !slices.Contains(got.KindReasons, r) {
					t.Errorf("reasons %q lack %q", got.KindReasons, r)
				}
			}
			for _, bad := range tt.absent {
				for _, r := range got.KindReasons {
					if strings.Contains(r, bad) {
						t.Errorf("reason %q contains %q", r, bad)
					}
				}
			}
		})
	}
}
