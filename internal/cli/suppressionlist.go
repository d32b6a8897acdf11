package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/store"
	"github.com/wardsec/ward/internal/termtext"
)

// The states of a listed suppression.
const (
	stateActive  = "active"
	stateExpired = "expired"
	stateRevoked = "revoked"
)

// suppressionRow is one documented accepted risk as ward suppressions
// lists it.
type suppressionRow struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"rule_id"`
	Source      string `json:"source_name"`
	AccountID   string `json:"account_id"`
	Resource    string `json:"resource"`
	Reason      string `json:"reason"`
	Until       string `json:"until"`
	By          string `json:"by"`
	CreatedAt   string `json:"created_at"`
	// Origin is config (ward.yaml, with its line) or command.
	Origin string `json:"origin"`
	Line   int    `json:"config_line,omitempty"`
	State  string `json:"state"`
	// FindingOpen is yes, no, or unknown when the store has no such finding.
	FindingOpen  string `json:"finding_open"`
	RevokedAt    string `json:"revoked_at,omitempty"`
	RevokedBy    string `json:"revoked_by,omitempty"`
	RevokeReason string `json:"revoke_reason,omitempty"`
}

type suppressionsFlags struct {
	format string
	all    bool
}

func newSuppressions(g *globalFlags) *cobra.Command {
	f := &suppressionsFlags{}
	cmd := &cobra.Command{
		Use:   "suppressions",
		Short: "List the documented accepted risks: suppressions of ward.yaml and the store",
		Long: `suppressions lists every suppression, from ward.yaml and from ward suppress:
the finding it names (fingerprint, rule, account, resource), the reason, the
last day, who accepted the risk, when it was recorded, where it comes from,
whether it is active, and whether the finding is still open. It reads the
store only.

Expired and revoked suppressions are hidden unless --all is given. A
ward.yaml suppression that names no finding in the store is listed with a
warning naming its line. The CSV is safe to open in a spreadsheet: a cell that
would start a formula is prefixed with a single quote.`,
		Example: `  ward suppressions
  ward suppressions --all --format csv > accepted-risks.csv
  ward suppressions --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSuppressions(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text, json or csv")
	fl.BoolVar(&f.all, "all", false, "include expired and revoked suppressions")
	return cmd
}

func runSuppressions(cmd *cobra.Command, g *globalFlags, f *suppressionsFlags) error {
	if err := checkFormat(f.format, "text", "json", "csv"); err != nil {
		return err
	}
	ctx := cmd.Context()
	v, err := openStoreView(ctx, g)
	if err != nil {
		return err
	}
	defer v.Close()
	stored, err := v.st.LatestSuppressions(ctx)
	if err != nil {
		return withCode(ExitError, err)
	}
	recs, err := v.st.Findings(ctx, store.FindingFilter{})
	if err != nil {
		return withCode(ExitError, err)
	}
	byFP := make(map[string]store.FindingRecord, len(recs))
	for _, r := range recs {
		byFP[r.Fingerprint] = r
	}
	for _, w := range orphanWarnings(v.cfg, func(fp string) bool { _, ok := byFP[fp]; return ok }) {
		fmt.Fprintln(cmd.ErrOrStderr(), w)
	}
	rows := suppressionRows(v.cfg.Suppressions, stored, byFP, time.Now(), f.all)
	out := cmd.OutOrStdout()
	switch f.format {
	case "json":
		err = writeSuppressionsJSON(out, rows)
	case "csv":
		err = writeSuppressionsCSV(out, rows)
	default:
		err = writeSuppressionsText(out, rows, v.cfg.Path, f.all)
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	return nil
}

// suppressionRows lists the suppressions of the configuration and the
// store's latest ones, judged at now, with the findings they name; without
// all, only active ones. Sorted by fingerprint, ward.yaml's first.
func suppressionRows(cfg []config.Suppression, stored []store.Suppression,
	findings map[string]store.FindingRecord, now time.Time, all bool) []suppressionRow {
	var rows []suppressionRow
	add := func(fp string, s inventory.Suppression, r suppressionRow) {
		r.Fingerprint, r.Reason, r.By = fp, s.Reason, s.By
		r.Until, r.Origin = s.Until.Format(config.DateLayout), s.Source
		if !s.CreatedAt.IsZero() {
			r.CreatedAt = s.CreatedAt.UTC().Format(time.RFC3339)
		}
		switch {
		case r.State == stateRevoked:
		case s.ExpiredAt(now):
			r.State = stateExpired
		default:
			r.State = stateActive
		}
		if !all && r.State != stateActive {
			return
		}
		r.FindingOpen = "unknown"
		if rec, ok := findings[fp]; ok {
			r.RuleID, r.Source, r.AccountID, r.Resource = rec.RuleID, rec.Source,
				rec.AccountID, rec.Resource
			r.FindingOpen = yesNo(rec.Status == store.FindingOpen)
		}
		rows = append(rows, r)
	}
	for _, c := range cfg {
		add(c.Fingerprint, inventory.Suppression{Reason: c.Reason, Until: c.Until, By: c.By,
			Source: inventory.SuppressionFromConfig}, suppressionRow{Line: c.Line})
	}
	for _, s := range stored {
		r := suppressionRow{}
		if s.Revoked() {
			r.State = stateRevoked
			r.RevokedAt = s.RevokedAt.UTC().Format(time.RFC3339)
			r.RevokedBy, r.RevokeReason = s.RevokedBy, s.RevokeReason
		}
		add(s.Fingerprint, s.Suppression, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Fingerprint < rows[j].Fingerprint })
	return rows
}

// orphanWarnings names each suppression of the configuration whose
// fingerprint is no finding the store knows.
func orphanWarnings(cfg *config.Config, known func(fp string) bool) []string {
	var out []string
	for _, c := range cfg.Suppressions {
		if !known(c.Fingerprint) {
			out = append(out, fmt.Sprintf("warning: %s:%d: the suppression of %s names no "+
				"finding in the store: check the fingerprint with `ward findings --status all`, "+
				"or remove the entry", cfg.Path, c.Line, c.Fingerprint))
		}
	}
	return out
}

// storeOrphanWarnings is orphanWarnings against the findings of st.
func storeOrphanWarnings(ctx context.Context, st *store.Store, cfg *config.Config) []string {
	return orphanWarnings(cfg, func(fp string) bool {
		_, err := st.Finding(ctx, fp)
		return err == nil
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeSuppressionsJSON(w io.Writer, rows []suppressionRow) error {
	if rows == nil {
		rows = []suppressionRow{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"suppressions": rows})
}

var suppressionsCSVHeader = []string{"fingerprint", "rule_id", "source", "account_id",
	"resource", "reason", "until", "by", "created_at", "origin", "config_line", "state",
	"finding_open", "revoked_at", "revoked_by", "revoke_reason"}

func writeSuppressionsCSV(w io.Writer, rows []suppressionRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(suppressionsCSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, r := range rows {
		line := ""
		if r.Line > 0 {
			line = fmt.Sprint(r.Line)
		}
		cells := []string{r.Fingerprint, r.RuleID, r.Source, r.AccountID, r.Resource,
			r.Reason, r.Until, r.By, r.CreatedAt, r.Origin, line, r.State, r.FindingOpen,
			r.RevokedAt, r.RevokedBy, r.RevokeReason}
		for i, c := range cells {
			cells[i] = report.SafeCell(c)
		}
		if err := cw.Write(cells); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func writeSuppressionsText(w io.Writer, rows []suppressionRow, cfgPath string, all bool) error {
	if len(rows) == 0 {
		msg := "No active suppressions."
		if all {
			msg = "No suppressions."
		}
		_, err := fmt.Fprintln(w, msg)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tRULE\tACCOUNT\tRESOURCE\tSTATE\tUNTIL\tBY\tFROM\tOPEN")
	for _, r := range rows {
		from := "ward suppress"
		if r.Origin == inventory.SuppressionFromConfig {
			from = fmt.Sprintf("%s:%d", cfgPath, r.Line)
		}
		// Names and reasons come from sources and people: escaped, so
		// none can steer the terminal or break the columns.
		c := termtext.Clean
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Fingerprint, dash(r.RuleID),
			c(dash(r.AccountID)), c(dash(r.Resource)), r.State, r.Until, c(r.By), c(from), r.FindingOpen)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(w, "\n%s: %s", r.Fingerprint, termtext.Clean(r.Reason))
		if r.State == stateRevoked {
			fmt.Fprintf(w, "\n  revoked %s by %s: %s", r.RevokedAt, termtext.Clean(r.RevokedBy),
				termtext.Clean(r.RevokeReason))
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
