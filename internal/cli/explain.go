package cli

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/store"
	"github.com/wardsec/ward/internal/usage"
)

type explainFlags struct {
	format string
}

func newExplain(g *globalFlags) *cobra.Command {
	f := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain ACCOUNT",
		Short: "Show everything about one account: attributes, every grant and its path, findings",
		Long: `explain shows one account as its latest scan stored it: kind and why, owner,
attributes, the roles it belongs to, every grant with the path that gives it
(PHI marked, privileges reachable only after SET ROLE listed apart), what it
holds through PUBLIC, what the logs ingested for its source show it used of
those grants (first and last use, counts) with its logins, programs and client
addresses, and its open findings with their evidence, fixes and suppressions.
It reads the store only; it never connects to a source.

ACCOUNT is SOURCE/NAME, or NAME alone when only one source has it.`,
		Example: `  ward explain ehr/etl_loader
  ward explain etl_loader
  ward explain ehr/etl_loader --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, g, f, args[0])
		},
	}
	cmd.Flags().StringVarP(&f.format, "format", "f", "text", "output format: text or json")
	return cmd
}

func runExplain(cmd *cobra.Command, g *globalFlags, f *explainFlags, name string) error {
	if err := checkFormat(f.format, "text", "json"); err != nil {
		return err
	}
	ctx := cmd.Context()
	v, err := openStoreView(ctx, g)
	if err != nil {
		return err
	}
	defer v.Close()
	sources, notes, err := v.latestAccounts(ctx, "")
	if err != nil {
		return err
	}
	acc, from, err := findAccount(sources, name)
	if err != nil {
		return withCode(ExitError, err)
	}

	e := report.Explanation{Account: acc, ScanID: from.scanID, ScannedAt: from.started}
	recs, err := v.st.Findings(ctx, store.FindingFilter{AccountID: acc.ID,
		Status: store.FindingOpen})
	if err != nil {
		return withCode(ExitError, err)
	}
	for _, r := range recs {
		e.Findings = append(e.Findings, r.Finding)
	}
	sups, err := v.suppressions(ctx)
	if err != nil {
		return err
	}
	applySuppressions(e.Findings, sups)
	if e.PublicGrants, err = publicGrants(cmd, v, from); err != nil {
		return withCode(ExitError, err)
	}
	if e.Window, e.Usage, err = accountUsage(ctx, v, acc); err != nil {
		return withCode(ExitError, err)
	}

	w := cmd.OutOrStdout()
	if f.format == "json" {
		err = report.WriteExplainJSON(w, e)
	} else {
		err = report.WriteExplainText(w, e, report.ListOptions{Color: isTerminal(w),
			Notes: sourceNotes(notes, acc.Source)})
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	return nil
}

// sourceNotes keeps the notes about one source, which say its accounts
// come from an older scan.
func sourceNotes(notes []string, source string) []string {
	var out []string
	for _, n := range notes {
		if strings.HasPrefix(n, "Source "+source+" ") {
			out = append(out, n)
		}
	}
	return out
}

// accountUsage reads the events stored for acc's source and returns what
// they cover and what they show of acc (nil when nothing). Only acc's
// details are kept, whatever the number of events.
func accountUsage(ctx context.Context, v *storeView, acc inventory.Account) (usage.Window,
	*usage.Account, error) {
	u, err := usage.Build(ctx, acc.Source, usage.Options{Account: acc.Name}, v.st.Events, nil)
	if err != nil {
		return usage.Window{}, nil, err
	}
	return u.Window, u.Account(acc.Name), nil
}

// publicGrants returns what PUBLIC holds in the source of from, as the
// same scan stored it.
func publicGrants(cmd *cobra.Command, v *storeView, from sourceAccounts) (
	[]inventory.Grant, error) {
	srcs, err := v.st.Sources(cmd.Context(), from.scanID)
	if err != nil {
		return nil, err
	}
	for _, s := range srcs {
		if s.Name == from.source && s.Snapshot != nil {
			return s.Snapshot.PublicGrants, nil
		}
	}
	return nil, nil
}

// findAccount finds name among the accounts: an account ID, or a native
// name that one source alone has; an exact match first, then one that
// differs only in case. When none matches it suggests the closest names.
func findAccount(sources []sourceAccounts, name string) (inventory.Account, sourceAccounts, error) {
	type hit struct {
		a    inventory.Account
		from sourceAccounts
	}
	var exact, folded []hit
	for _, s := range sources {
		for _, a := range s.accounts {
			switch {
			case a.ID == name || a.Name == name:
				exact = append(exact, hit{a, s})
			case strings.EqualFold(a.ID, name) || strings.EqualFold(a.Name, name):
				folded = append(folded, hit{a, s})
			}
		}
	}
	for _, hits := range [][]hit{exact, folded} {
		switch len(hits) {
		case 0:
			continue
		case 1:
			return hits[0].a, hits[0].from, nil
		}
		var ids []string
		for _, h := range hits {
			ids = append(ids, h.a.ID)
		}
		slices.Sort(ids)
		return inventory.Account{}, sourceAccounts{}, fmt.Errorf("%q names %d accounts: %s; "+
			"write SOURCE/NAME", name, len(ids), quoted(ids))
	}

	msg := fmt.Sprintf("no account %q in the latest scan", name)
	if close := closeMatches(sources, name, 5); len(close) > 0 {
		msg += "; did you mean " + quoted(close) + "?"
	}
	return inventory.Account{}, sourceAccounts{},
		fmt.Errorf("%s (ward inventory lists them all)", msg)
}

// closeMatches returns up to n account IDs whose ID or name is near name:
// within a few edits, or containing it, closest first.
func closeMatches(sources []sourceAccounts, name string, n int) []string {
	type cand struct {
		id   string
		dist int
	}
	lower := strings.ToLower(name)
	limit := max(2, len([]rune(name))/3)
	var cands []cand
	for _, s := range sources {
		for _, a := range s.accounts {
			d := min(editDistance(lower, strings.ToLower(a.ID)),
				editDistance(lower, strings.ToLower(a.Name)))
			if strings.Contains(strings.ToLower(a.ID), lower) {
				d = min(d, limit)
			}
			if d <= limit {
				cands = append(cands, cand{a.ID, d})
			}
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.id, b.id))
	})
	var out []string
	for _, c := range cands {
		if len(out) == n {
			break
		}
		out = append(out, c.id)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// quoted writes names in Go quoted form, so that a name holding control
// characters cannot drive the terminal that shows the error.
func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
