package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/scan"
	"github.com/wardsec/ward/internal/store"
	"github.com/wardsec/ward/internal/usage"
)

type scanFlags struct {
	format  string
	output  string
	failOn  string
	newOnly bool
}

func newScan(env *Env, g *globalFlags) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Discover accounts, evaluate the rules, store and report",
		Long: `scan reads every source in the configuration (read-only), classifies its
logins as service, human or unknown, marks what can reach PHI, evaluates the
rules, stores the result and prints a summary.

A source that cannot be reached, or a database that cannot be read, is
reported and the scan exits 2; the other sources are still scanned, and the
findings of a source that could not be scanned are kept as they were.

Each source is compared with its previous scan: new, unchanged and resolved
findings, accounts and grants added and removed. A partial scan resolves
nothing; a source that failed is not compared.

Suppressed findings (ward suppress, or the suppressions section of
ward.yaml) are reported as suppressed and do not count for --fail-on until
their suppression expires.`,
		Example: `  ward scan
  ward scan --format html -o report.html
  ward scan --format json -o scan.json --fail-on high
  ward scan --format sarif -o ward.sarif      # for code-scanning tools
  ward scan --format csv -o findings.csv      # for spreadsheets
  ward scan --new-only --fail-on high         # CI: fail only on what is new
  ward scan -c /etc/ward/ward.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runScan(cmd, env, g, f)
		},
	}
	cmd.Flags().StringVarP(&f.format, "format", "f", "text",
		"output format: text, "+strings.Join(report.Formats(), ", "))
	cmd.Flags().StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of stdout")
	cmd.Flags().StringVar(&f.failOn, "fail-on", "",
		"exit 1 when a finding has this severity or higher: critical, high, medium, low, info")
	cmd.Flags().BoolVar(&f.newOnly, "new-only", false,
		"with --fail-on, count only findings new in this scan "+
			"(first seen, or back after being resolved)")
	return cmd
}

func runScan(cmd *cobra.Command, env *Env, g *globalFlags, f *scanFlags) error {
	var failOn inventory.Severity
	if f.failOn != "" {
		s, err := inventory.ParseSeverity(f.failOn)
		if err != nil {
			return withCode(ExitError, fmt.Errorf("--fail-on: %w", err))
		}
		failOn = s
	}
	if f.newOnly && failOn == "" {
		return withCode(ExitError, errors.New("--new-only needs --fail-on: it says which "+
			"findings --fail-on counts"))
	}
	f.format = strings.ToLower(f.format)
	if f.output == "-" {
		f.output = "" // the usual spelling of stdout
	}
	if err := checkOutputPath(f.output); err != nil {
		return withCode(ExitError, err)
	}
	var write report.Func
	if f.format != "text" {
		w, err := report.Writer(f.format)
		if err != nil {
			return withCode(ExitError, fmt.Errorf("--format: %w", err))
		}
		write = w
	}

	cfg, err := config.Load(config.Resolve(g.config))
	if err != nil {
		return withCode(ExitError, err)
	}
	if len(cfg.Sources) == 0 {
		return withCode(ExitError, fmt.Errorf("%s lists no sources: add one under sources (see `ward init`)", cfg.Path))
	}
	ctx := cmd.Context()
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return withCode(ExitError, err)
	}
	defer st.Close()

	prog := startProgress(env.Stderr, isTerminal(env.Stderr))
	prog.Set("loading configuration")
	res, err := scan.Run(ctx, scan.Options{
		Config:   cfg,
		Registry: scan.DefaultRegistry(),
		Log:      g.logger(env.Stderr),
		Version:  env.Version,
		Progress: prog.Set,
		// Beside the store, which it belongs with: fingerprints in the
		// store are only comparable under the same key.
		SecretsKeyFile: cfg.Store + ".secrets-key",
		Usage:          storedUsage(st),
	})
	if err == nil {
		prog.Set("saving results")
		err = st.SaveScan(ctx, res)
	}
	if err == nil {
		prog.Set("comparing with the previous scan")
		err = compareAndSuppress(cmd, st, cfg, res)
	}
	prog.Stop()
	if ctx.Err() != nil {
		return withCode(ExitError, errors.New("interrupted: nothing of this scan was stored"))
	}
	if err != nil {
		return withCode(ExitError, err)
	}

	out := cmd.OutOrStdout()
	switch {
	case write == nil && f.output != "":
		err = writeFileAtomic(f.output, func(w *os.File) error {
			return report.WriteText(w, res, report.TextOptions{})
		})
		if err == nil {
			fmt.Fprintf(out, "summary written to %s\n", absPath(f.output))
		}
	case write == nil:
		err = report.WriteText(out, res, report.TextOptions{Color: isTerminal(out)})
	case f.output == "":
		err = write(out, res)
	default:
		err = writeFileAtomic(f.output, func(w *os.File) error { return write(w, res) })
		if err == nil {
			err = report.WriteText(out, res, report.TextOptions{Color: isTerminal(out),
				ReportPath: absPath(f.output)})
		}
	}
	if err != nil {
		return withCode(ExitError, fmt.Errorf("write report: %w", err))
	}

	if res.Partial() {
		return withCode(ExitError, fmt.Errorf("the scan was partial: %s", partialSummary(res)))
	}
	if n := len(failing(res.Findings, failOn, f.newOnly, res.Changes)); failOn != "" && n > 0 {
		which := ""
		if f.newOnly {
			which = "new "
		}
		fmt.Fprintf(env.Stderr, "ward: %d %sfinding(s) at or above %s (--fail-on): exit 1\n",
			n, which, failOn)
		return errFindings
	}
	return nil
}

// checkOutputPath refuses, before any scanning, an output path whose
// directory is missing or that names a directory.
func checkOutputPath(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("-o %s is a directory: name a file, such as %s",
			path, filepath.Join(path, "report.html"))
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("-o %s: directory %s does not exist: create it first", path, dir)
	}
	return nil
}

// compareAndSuppress adds to a stored scan its changes since the previous
// scan of each source and marks the findings that a suppression names.
func compareAndSuppress(cmd *cobra.Command, st *store.Store, cfg *config.Config,
	res *inventory.ScanResult) error {
	ctx := cmd.Context()
	changes, err := st.Changes(ctx, res.ID)
	if err != nil {
		return fmt.Errorf("compare with the previous scan: %w", err)
	}
	res.Changes = changes
	stored, err := st.Suppressions(ctx)
	if err != nil {
		return err
	}
	applySuppressions(res.Findings, suppressionIndex(cfg.Suppressions, stored, time.Now()))
	for _, w := range storeOrphanWarnings(ctx, st, cfg) {
		fmt.Fprintln(cmd.ErrOrStderr(), w)
	}
	return nil
}

func partialSummary(res *inventory.ScanResult) string {
	msg := ""
	for _, s := range res.Sources {
		if s.Status == inventory.StatusComplete {
			continue
		}
		if msg != "" {
			msg += "; "
		}
		msg += fmt.Sprintf("source %s %s: %s", s.Name, s.Status, s.Error)
	}
	return msg
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// writeFileAtomic writes through a temporary file in the same directory
// and renames it into place, so a failed write never leaves half a report.
//
// An existing device or pipe (/dev/null, /dev/stdout, a FIFO) is written in
// place: renaming over it would replace the device with a file.
func writeFileAtomic(path string, fill func(*os.File) error) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ward-report-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// storedUsage returns, for the scan pipeline, the usage of a source built
// from the events that `ward ingest` stored, or nil when none were.
func storedUsage(st *store.Store) func(ctx context.Context, source, scanner string) (*usage.Usage, error) {
	return func(ctx context.Context, source, scanner string) (*usage.Usage, error) {
		win, err := st.Window(ctx, source)
		if err != nil {
			return nil, err
		}
		if win.Events == 0 {
			return nil, nil
		}
		var xs []inventory.Exposure
		err = st.Exposures(ctx, source, func(x inventory.Exposure) error {
			xs = append(xs, x)
			return nil
		})
		if err != nil {
			return nil, err
		}
		opt := usage.Options{}
		if scanner != "" {
			opt.ScannerUsers = []string{scanner}
		}
		return usage.Build(ctx, source, opt, st.Events, xs)
	}
}
