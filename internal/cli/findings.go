package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/rules"
	"github.com/wardsec/ward/internal/store"
)

type findingsFlags struct {
	severity string
	rule     string
	source   string
	status   string
	format   string
	failOn   string
}

func newFindings(env *Env, g *globalFlags) *cobra.Command {
	f := &findingsFlags{}
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List the findings tracked in the store, with their suppressions",
		Long: `findings lists the findings ward's store tracks, each as the latest scan that
reported it, most severe first. It reads the store only; it never connects to
a source.

A suppressed finding is listed, marked with its suppression (reason, until,
by); an expired suppression is shown as expired. The fingerprint is what
ward suppress takes.`,
		Example: `  ward findings
  ward findings --severity high
  ward findings --rule PG-SUPERUSER-SERVICE --source ehr
  ward findings --status all --format csv > findings.csv
  ward findings --format sarif > ward.sarif
  ward findings --fail-on critical       # exit 1 on an open critical finding`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFindings(cmd, env, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.severity, "severity", "", "only findings of this severity or higher")
	fl.StringVar(&f.rule, "rule", "", "only findings of this rule ID")
	fl.StringVar(&f.source, "source", "", "only findings of this source")
	fl.StringVar(&f.status, "status", "open", "open, resolved or all")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text, json, csv or sarif")
	fl.StringVar(&f.failOn, "fail-on", "",
		"exit 1 when a listed open finding, not suppressed, has this severity or higher")
	return cmd
}

func runFindings(cmd *cobra.Command, env *Env, g *globalFlags, f *findingsFlags) error {
	filter, failOn, err := findingsFilter(f)
	if err != nil {
		return err
	}
	if err := checkFormat(f.format, "text", "json", "csv", "sarif"); err != nil {
		return err
	}

	ctx := cmd.Context()
	v, err := openStoreView(ctx, g)
	if err != nil {
		return err
	}
	defer v.Close()
	recs, err := v.st.Findings(ctx, filter)
	if err != nil {
		return withCode(ExitError, err)
	}
	sups, err := v.suppressions(ctx)
	if err != nil {
		return err
	}
	fs := make([]inventory.Finding, 0, len(recs))
	for _, r := range recs {
		fs = append(fs, r.Finding)
	}
	applySuppressions(fs, sups)

	if err := writeFindings(cmd.OutOrStdout(), env, v, f.format, fs); err != nil {
		return withCode(ExitError, err)
	}
	if failOn != "" {
		var open []inventory.Finding
		for _, fd := range fs {
			if fd.ResolvedAt.IsZero() {
				open = append(open, fd)
			}
		}
		if len(failing(open, failOn, false, nil)) > 0 {
			return errFindings
		}
	}
	return nil
}

// findingsFilter turns the flags into a store filter and the --fail-on
// severity, or a usage error.
func findingsFilter(f *findingsFlags) (store.FindingFilter, inventory.Severity, error) {
	filter := store.FindingFilter{Source: f.source}
	if f.rule != "" {
		id, err := ruleID(f.rule)
		if err != nil {
			return filter, "", withCode(ExitError, fmt.Errorf("--rule: %w", err))
		}
		filter.RuleID = id
	}
	switch strings.ToLower(strings.TrimSpace(f.status)) {
	case "open":
		filter.Status = store.FindingOpen
	case "resolved":
		filter.Status = store.FindingResolved
	case "all":
	default:
		return filter, "", withCode(ExitError,
			fmt.Errorf("--status: unknown status %q: use open, resolved or all", f.status))
	}
	if f.severity != "" {
		s, err := inventory.ParseSeverity(f.severity)
		if err != nil {
			return filter, "", withCode(ExitError, fmt.Errorf("--severity: %w", err))
		}
		filter.MinSeverity = s
	}
	var failOn inventory.Severity
	if f.failOn != "" {
		s, err := inventory.ParseSeverity(f.failOn)
		if err != nil {
			return filter, "", withCode(ExitError, fmt.Errorf("--fail-on: %w", err))
		}
		failOn = s
	}
	return filter, failOn, nil
}

// ruleID returns the catalogue's ID that v names, compared without regard
// to case, or an error that lists the known IDs.
func ruleID(v string) (string, error) {
	cat := rules.Catalog()
	ids := make([]string, 0, len(cat))
	for _, r := range cat {
		if strings.EqualFold(r.ID, strings.TrimSpace(v)) {
			return r.ID, nil
		}
		ids = append(ids, r.ID)
	}
	return "", fmt.Errorf("unknown rule %q: use one of %s", v, strings.Join(ids, ", "))
}

func writeFindings(w io.Writer, env *Env, v *storeView, format string,
	fs []inventory.Finding) error {
	switch format {
	case "json":
		return report.WriteFindingsJSON(w, fs)
	case "csv":
		return report.WriteFindingsCSV(w, fs)
	case "sarif":
		// The log describes the latest scan; each result is a tracked
		// finding, resolved ones marked absent.
		return report.WriteSARIF(w, &inventory.ScanResult{
			ID: v.latest.ID, StartedAt: v.latest.StartedAt, FinishedAt: v.latest.FinishedAt,
			WardVersion: env.Version, ConfigPath: v.latest.ConfigPath,
			ConfigHash: v.latest.ConfigHash,
			Sources:    v.latest.Sources, Findings: fs,
		})
	}
	return report.WriteFindingsText(w, fs, report.ListOptions{Color: isTerminal(w),
		Notes: []string{fmt.Sprintf("Findings tracked in %s; the latest scan is %s.",
			v.cfg.Store, v.latest.ID)}})
}
