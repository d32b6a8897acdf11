package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/internal/inventory"
)

// scanStep is one scan of the source ehr in a changes test: its status and
// the findings it reports, by letter.
type scanStep struct {
	status   string
	findings string
	// unchecked are rules the scan could not evaluate.
	unchecked []string
}

// letterFinding is the finding named by a letter in a scanStep.
func letterFinding(l rune) inventory.Finding {
	return newFinding("PG-"+string(l), "ehr", "acct_"+string(l), "", inventory.SeverityMedium)
}

// letters returns the letters of the findings refs names, sorted, with a
// trailing * on reopened ones.
func letters(refs []inventory.FindingRef) string {
	var out []string
	for _, r := range refs {
		l := strings.TrimPrefix(r.RuleID, "PG-")
		if r.Reopened {
			l += "*"
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return strings.Join(out, "")
}

func TestChangesFindings(t *testing.T) {
	tests := []struct {
		name  string
		steps []scanStep
		// comparison, new, unchanged and resolved of the last scan.
		comparison                string
		newF, unchanged, resolved string
		wantPrevious              string
	}{
		{name: "first scan: every finding is new",
			steps:      []scanStep{{complete, "AB", nil}},
			comparison: inventory.ComparedFirstScan, newF: "AB"},
		{name: "new, unchanged and resolved",
			steps:      []scanStep{{complete, "AB", nil}, {complete, "BC", nil}},
			comparison: inventory.ComparedWithPrevious, newF: "C", unchanged: "B", resolved: "A",
			wantPrevious: "s1"},
		{name: "resolved and back is reopened",
			steps: []scanStep{{complete, "AB", nil}, {complete, "B", nil},
				{complete, "AB", nil}},
			comparison: inventory.ComparedWithPrevious, newF: "A*", unchanged: "B",
			wantPrevious: "s2"},
		{name: "a partial scan resolves nothing",
			steps:      []scanStep{{complete, "AB", nil}, {partial, "B", nil}},
			comparison: inventory.ComparedWithPrevious, unchanged: "B", wantPrevious: "s1"},
		{name: "unseen by a partial scan and seen again is not new",
			steps: []scanStep{{complete, "AB", nil}, {partial, "B", nil},
				{complete, "AB", nil}},
			comparison: inventory.ComparedWithPrevious, unchanged: "AB", wantPrevious: "s2"},
		{name: "a failed scan is not compared",
			steps:      []scanStep{{complete, "AB", nil}, {failed, "", nil}},
			comparison: inventory.ComparedNotAtAll},
		{name: "a failed previous scan is skipped",
			steps: []scanStep{{complete, "AB", nil}, {failed, "", nil},
				{complete, "B", nil}},
			comparison: inventory.ComparedWithPrevious, unchanged: "B", resolved: "A",
			wantPrevious: "s1"},
		{name: "an unchecked rule's finding is not resolved",
			steps:      []scanStep{{complete, "AB", nil}, {complete, "B", []string{"PG-A"}}},
			comparison: inventory.ComparedWithPrevious, unchanged: "B", wantPrevious: "s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			var last string
			for i, st := range tt.steps {
				last = fmt.Sprintf("s%d", i+1)
				r := newScan(last, hoursAfter(i), map[string]string{"ehr": st.status})
				r.Sources[0].UncheckedRules = st.unchecked
				for _, l := range st.findings {
					r.Findings = append(r.Findings, letterFinding(l))
				}
				save(t, s, r)
			}

			c, err := s.Changes(context.Background(), last)
			if err != nil {
				t.Fatalf("Changes: %v", err)
			}
			sc := c.Source("ehr")
			if sc == nil {
				t.Fatalf("no changes for ehr: %+v", c)
			}
			if sc.Comparison != tt.comparison {
				t.Errorf("Comparison = %q, want %q", sc.Comparison, tt.comparison)
			}
			if sc.PreviousScanID != tt.wantPrevious {
				t.Errorf("PreviousScanID = %q, want %q", sc.PreviousScanID, tt.wantPrevious)
			}
			for _, c := range []struct{ name, got, want string }{
				{"new", letters(sc.New), tt.newF},
				{"unchanged", letters(sc.Unchanged), tt.unchanged},
				{"resolved", letters(sc.Resolved), tt.resolved},
			} {
				if c.got != c.want {
					t.Errorf("%s findings = %q, want %q", c.name, c.got, c.want)
				}
			}
		})
	}
}

// TestChangesNotes checks the notes say what limits a comparison.
func TestChangesNotes(t *testing.T) {
	tests := []struct {
		name   string
		status []string
		want   []string
	}{
		{"failed", []string{complete, failed}, []string{"failed in this scan", "kept as they were"}},
		{"partial", []string{complete, partial}, []string{"scanned in part", "none is resolved"}},
		{"first", []string{complete}, []string{"no earlier scan"}},
		{"unchecked rules", []string{complete, complete},
			[]string{"could not evaluate, whose earlier findings stay open: PG-HBA-TRUST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			for i, st := range tt.status {
				r := newScan(fmt.Sprintf("s%d", i+1), hoursAfter(i), map[string]string{"ehr": st})
				if tt.name == "unchecked rules" {
					r.Sources[0].UncheckedRules = []string{"PG-HBA-TRUST"}
				}
				save(t, s, r)
			}
			c, err := s.Changes(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(c.Source("ehr").Notes, "\n")
			for _, w := range tt.want {
				if !strings.Contains(notes, w) {
					t.Errorf("notes %q lack %q", notes, w)
				}
			}
		})
	}
}

// TestChangesResolvedDetail checks a resolved finding is described as the
// last scan that had it reported it, not as a later one.
func TestChangesResolvedDetail(t *testing.T) {
	s := openTest(t)
	f := letterFinding('A')
	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete})
	f.Title, f.PHI = "old title", true
	r1.Findings = []inventory.Finding{f}
	save(t, s, r1)
	save(t, s, newScan("s2", hoursAfter(1), map[string]string{"ehr": complete}))

	c, err := s.Changes(context.Background(), "s2")
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.FindingRef{{Fingerprint: f.Fingerprint, RuleID: "PG-A",
		Severity: inventory.SeverityMedium, Title: "old title", AccountID: "ehr/acct_A", PHI: true}}
	if diff := cmp.Diff(want, c.Source("ehr").Resolved); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
}

// grant builds a table grant for the accounts and grants test.
func grant(priv, resource string, phi bool, via string, path ...string) inventory.Grant {
	return inventory.Grant{Privilege: priv, Resource: resource, ResourceType: "table",
		PHI: phi, Via: via, Path: path}
}

func TestChangesAccountsAndGrants(t *testing.T) {
	s := openTest(t)
	account := func(name string, login bool, gs ...inventory.Grant) inventory.Account {
		return inventory.Account{ID: "ehr/" + name, Source: "ehr", Name: name,
			Kind: inventory.KindService, Owner: "team-" + name,
			Attributes: inventory.Attributes{CanLogin: login}, Grants: gs}
	}

	r1 := newScan("s1", hoursAfter(0), map[string]string{"ehr": complete, "lab": complete})
	r1.Accounts = []inventory.Account{
		account("etl", true,
			grant("SELECT", "ehr.public.visits", false, "direct"),
			grant("SELECT", "ehr.public.patients", false, "readers", "readers"),
			grant("UPDATE", "ehr.public.notes", true, "writers", "writers"),
			grant("USAGE", "ehr.public", false, "direct")),
		account("retired", false, grant("SELECT", "ehr.public.patients", true, "direct")),
		{ID: "lab/gone", Source: "lab", Name: "gone"},
	}
	save(t, s, r1)

	r2 := newScan("s2", hoursAfter(1), map[string]string{"ehr": complete, "lab": complete})
	usage := grant("USAGE", "ehr.public", false, "direct")
	usage.Path = []string{} // empty and nil paths are the same path
	r2.Accounts = []inventory.Account{
		account("etl", true,
			// PHI marking changed: the same grant.
			grant("SELECT", "ehr.public.patients", true, "readers", "readers"),
			// Same privilege through another chain: a different grant.
			grant("UPDATE", "ehr.public.notes", true, "editors", "editors", "writers"),
			grant("DELETE", "ehr.public.notes", true, "direct"),
			usage),
		account("newsvc", true,
			grant("SELECT", "ehr.public.patients", true, "direct"),
			grant("SELECT", "ehr.public.visits", false, "direct")),
	}
	save(t, s, r2)

	c, err := s.Changes(context.Background(), "s2")
	if err != nil {
		t.Fatal(err)
	}
	ehr := c.Source("ehr")
	wantAdded := []inventory.AccountRef{{ID: "ehr/newsvc", Name: "newsvc",
		Kind: inventory.KindService, Owner: "team-newsvc", CanLogin: true, Grants: 2, PHIGrants: 1}}
	if diff := cmp.Diff(wantAdded, ehr.AddedAccounts); diff != "" {
		t.Errorf("added accounts (-want +got):\n%s", diff)
	}
	wantRemoved := []inventory.AccountRef{{ID: "ehr/retired", Name: "retired",
		Kind: inventory.KindService, Owner: "team-retired", Grants: 1, PHIGrants: 1}}
	if diff := cmp.Diff(wantRemoved, ehr.RemovedAccounts); diff != "" {
		t.Errorf("removed accounts (-want +got):\n%s", diff)
	}

	wantGained := []inventory.GrantChange{
		{AccountID: "ehr/etl", Grant: grant("DELETE", "ehr.public.notes", true, "direct")},
		{AccountID: "ehr/etl",
			Grant: grant("UPDATE", "ehr.public.notes", true, "editors", "editors", "writers")},
	}
	if diff := cmp.Diff(wantGained, ehr.AddedGrants); diff != "" {
		t.Errorf("added grants (-want +got):\n%s", diff)
	}
	wantLost := []inventory.GrantChange{
		{AccountID: "ehr/etl", Grant: grant("UPDATE", "ehr.public.notes", true, "writers", "writers")},
		{AccountID: "ehr/etl", Grant: grant("SELECT", "ehr.public.visits", false, "direct")},
	}
	if diff := cmp.Diff(wantLost, ehr.RemovedGrants); diff != "" {
		t.Errorf("removed grants (-want +got):\n%s", diff)
	}

	lab := c.Source("lab")
	if len(lab.RemovedAccounts) != 1 || lab.RemovedAccounts[0].ID != "lab/gone" {
		t.Errorf("lab removed accounts = %+v, want lab/gone only", lab.RemovedAccounts)
	}
	if len(lab.AddedGrants)+len(lab.RemovedGrants)+len(lab.AddedAccounts) != 0 {
		t.Errorf("lab lists changes of another source: %+v", lab)
	}
}

// TestChangesSkipDatabasesNotReadByBoth checks that grants on a database a
// partial scan could not read are not reported as removed, nor, when the
// database is read again, as added.
func TestChangesSkipDatabasesNotReadByBoth(t *testing.T) {
	s := openTest(t)
	scan := func(id string, h int, status string, archiveRead bool, gs ...inventory.Grant) {
		r := newScan(id, hoursAfter(h), map[string]string{"ehr": status})
		r.Sources[0].Snapshot.Databases = []inventory.DatabaseCoverage{
			{Name: "ehr", Scanned: true}, {Name: "archive", Scanned: archiveRead},
		}
		r.Accounts = []inventory.Account{{ID: "ehr/etl", Source: "ehr", Name: "etl", Grants: gs}}
		save(t, s, r)
	}
	old := grant("SELECT", "archive.public.claims", true, "direct")
	db := inventory.Grant{Privilege: "CONNECT", Resource: "archive", ResourceType: "database",
		Via: "direct"}
	kept := grant("SELECT", "ehr.public.visits", false, "direct")
	added := grant("SELECT", "ehr.public.notes", true, "direct")

	scan("s1", 0, complete, true, old, db, kept)
	scan("s2", 1, partial, false, kept, added)
	scan("s3", 2, complete, true, old, db, kept, added)

	for _, tt := range []struct {
		scan         string
		added, lost  int
		noteContains string
	}{
		{"s2", 1, 0, "not compared: archive"},
		{"s3", 0, 0, "not compared: archive"},
	} {
		t.Run(tt.scan, func(t *testing.T) {
			c, err := s.Changes(context.Background(), tt.scan)
			if err != nil {
				t.Fatal(err)
			}
			ehr := c.Source("ehr")
			if len(ehr.AddedGrants) != tt.added || len(ehr.RemovedGrants) != tt.lost {
				t.Errorf("added %+v, removed %+v; want %d and %d", ehr.AddedGrants,
					ehr.RemovedGrants, tt.added, tt.lost)
			}
			if !strings.Contains(strings.Join(ehr.Notes, "\n"), tt.noteContains) {
				t.Errorf("notes %q lack %q", ehr.Notes, tt.noteContains)
			}
		})
	}
}

func TestInDatabase(t *testing.T) {
	tests := []struct {
		resource string
		want     bool
	}{
		{"archive", true},
		{"archive.public", true},
		{"archive.public.t.c", true},
		{"archive2.public.t", false},
		{"ehr.public.archive", false},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			if got := inDatabase(tt.resource, []string{"archive"}); got != tt.want {
				t.Errorf("inDatabase(%q) = %v, want %v", tt.resource, got, tt.want)
			}
		})
	}
}

func TestChangesOfUnknownScan(t *testing.T) {
	s := openTest(t)
	if _, err := s.Changes(context.Background(), ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Changes on an empty store: %v, want ErrNotFound", err)
	}
	save(t, s, newScan("s1", t0, map[string]string{"ehr": complete}))
	if _, err := s.Changes(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Changes of an unknown scan: %v, want ErrNotFound", err)
	}
	latest, err := s.Changes(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	byID, err := s.Changes(context.Background(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(byID, latest); diff != "" {
		t.Errorf("Changes(\"\") differs from Changes(latest ID):\n%s", diff)
	}
}
