// Package cli holds ward's commands. It parses flags, wires the packages
// together and turns outcomes into exit codes: 0 clean, 1 findings at or
// above --fail-on, 2 usage, configuration or connection errors (including
// a scan that covered only part of what was asked).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitError    = 2
)

// Env is what a run of ward sees of the outside world.
type Env struct {
	Version string
	Stdout  io.Writer
	Stderr  io.Writer
	Args    []string
}

// exitError carries an exit code up to Execute.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err with an exit code.
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// errFindings ends a run that succeeded but found what --fail-on names.
var errFindings = errors.New("findings at or above --fail-on")

// Execute runs ward with env.Args and returns the exit code.
func Execute(ctx context.Context, env Env) int {
	if env.Version == "" {
		env.Version = buildVersion()
	}
	root := newRoot(&env)
	root.SetArgs(env.Args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errFindings) {
		return ExitFindings
	}
	fmt.Fprintln(env.Stderr, "ward:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitError // cobra's own errors are usage errors
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

type globalFlags struct {
	config  string
	verbose bool
}

func newRoot(env *Env) *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "ward",
		Short: "Find service accounts, what they can reach, and what violates HIPAA",
		Long: `ward finds the service accounts of your systems (PostgreSQL for now), shows
what each can reach with PHI marked, and reports problems with their HIPAA
Security Rule citation and a fix to paste. It only reads from the systems it
scans.

Exit status: 0 clean; 1 findings at or above --fail-on; 2 usage,
configuration or connection errors, or a scan that covered only part of what
was asked.`,
		Example: `  ward init                     # write an annotated ward.yaml
  ward scan                     # scan every source, store, print a summary
  ward scan --format html -o report.html
  ward scan --new-only --fail-on high   # CI: fail only on new findings
  ward inventory --kind service # the accounts of the latest scan
  ward findings --severity high # the findings tracked in the store
  ward explain ehr/etl_loader   # one account: grants, paths, findings, fixes
  ward suppress FINGERPRINT --reason TEXT --until 2027-06-30`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.config, "config", "c", "",
		"configuration file (default $WARD_CONFIG, then ./ward.yaml)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log debug details to stderr")
	root.AddCommand(newInit(env, g), newScan(env, g), newInventory(g), newFindings(env, g),
		newExplain(g), newSuppress(g), newSuppressions(g), newVersion(env), newSecrets(env, g), newWatch(env, g),
		newIngest(env, g))
	return root
}

func (g *globalFlags) logger(w io.Writer) *slog.Logger {
	// Problems reach the user through errors and reports; the log is for
	// debugging, so by default only errors that have nowhere else to go.
	level := slog.LevelError
	if g.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func newVersion(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print ward's version",
		Example: "  ward version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "ward %s\n", env.Version)
			return err
		},
	}
}

// isTerminal reports whether w is a terminal, for progress and colour.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
