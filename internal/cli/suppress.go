package cli

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/store"
)

type suppressFlags struct {
	reason    string
	until     string
	by        string
	allowLong bool
}

// maxSuppression is how far ahead --until may be without --allow-long. It
// is ward's policy, not a HIPAA number: HIPAA asks that an accepted risk be
// documented and reviewed, and a suppression is time-boxed so that it is.
const maxSuppression = "one year"

// suppressionLimit returns the last day --until may name at today without
// --allow-long.
func suppressionLimit(today time.Time) time.Time { return today.AddDate(1, 0, 0) }

func newSuppress(g *globalFlags) *cobra.Command {
	f := &suppressFlags{}
	cmd := &cobra.Command{
		Use:   "suppress FINGERPRINT --reason TEXT --until YYYY-MM-DD",
		Short: "Record an accepted risk: a finding suppressed until a date, with the reason",
		Long: `suppress records in ward's store that the risk a finding names is accepted:
why, by whom and until when (HIPAA 164.306(d)(3) asks for that documentation
when an addressable specification is not implemented). It changes nothing on
any source.

The finding stays in every report, marked suppressed, and does not count for
--fail-on until the end of the --until day (UTC), which may be today. By
ward's policy --until is at most one year ahead; --allow-long lifts the cap
for a risk accepted for longer. After that the suppression
has expired: reports say so and the finding counts again. A later suppress
of the same finding replaces the earlier one; both stay in the store.

FINGERPRINT is the finding's fingerprint as ward findings shows it. The same
can be written in ward.yaml under suppressions, to keep it under review with
the configuration.`,
		Example: `  ward findings --severity high
  ward suppress 2776f3b00ab30db3 --reason "legacy loader; replacement in SEC-42" --until 2027-06-30
  ward suppress 2776f3b00ab30db3 --reason "VPN only, CC-12" --until 2027-01-31 --by ciso@clinic.example`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSuppress(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.reason, "reason", "", "why the risk is accepted (required)")
	fl.StringVar(&f.until, "until", "",
		"last day the suppression applies, YYYY-MM-DD, today or later (required)")
	fl.StringVar(&f.by, "by", "", "who accepts the risk (default $USER, then the OS user)")
	fl.BoolVar(&f.allowLong, "allow-long", false,
		"allow --until more than "+maxSuppression+" ahead")
	return cmd
}

func runSuppress(cmd *cobra.Command, g *globalFlags, f *suppressFlags, fp string) error {
	until, by, err := checkSuppress(f, fp, time.Now())
	if err != nil {
		return withCode(ExitError, err)
	}

	ctx := cmd.Context()
	v, err := openStoreView(ctx, g)
	if err != nil {
		return err
	}
	defer v.Close()
	rec, err := v.st.Finding(ctx, fp)
	if errors.Is(err, store.ErrUnknownFinding) {
		return withCode(ExitError, fmt.Errorf("no finding with fingerprint %s in the store %s: "+
			"list the fingerprints with `ward findings --status all`", fp, v.cfg.Store))
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	reason := strings.TrimSpace(f.reason)
	if err := v.st.AddSuppression(ctx, fp, reason, until, by, time.Now()); err != nil {
		return withCode(ExitError, err)
	}

	out := cmd.OutOrStdout()
	subject := rec.AccountID
	if subject == "" {
		subject = rec.Source
	}
	fmt.Fprintf(out, "Suppressed %s (%s on %q) until the end of %s (UTC), by %s.\n",
		fp, rec.RuleID, subject, until.Format(config.DateLayout), by)
	fmt.Fprintln(out, "It stays in every report, marked suppressed, and does not count "+
		"for --fail-on until then.")
	if rec.Status == store.FindingResolved {
		fmt.Fprintln(out, "The finding is resolved now; the suppression applies if it comes back.")
	}
	for _, c := range v.cfg.Suppressions {
		if c.Fingerprint == fp {
			fmt.Fprintf(out, "%s:%d also suppresses it, until %s; the one that applies "+
				"longer is shown.\n", v.cfg.Path, c.Line, c.Until.Format(config.DateLayout))
		}
	}
	return nil
}

// checkSuppress validates the arguments of suppress at now and returns
// the until day and the author.
func checkSuppress(f *suppressFlags, fp string, now time.Time) (time.Time, string, error) {
	if !config.ValidFingerprint(fp) {
		return time.Time{}, "", fmt.Errorf("%q is not a fingerprint: copy the 16 hex digits "+
			"`ward findings` shows", fp)
	}
	if strings.TrimSpace(f.reason) == "" {
		return time.Time{}, "", errors.New("--reason is required: say why the risk is " +
			"accepted, such as the compensating control")
	}
	if f.until == "" {
		return time.Time{}, "", errors.New("--until is required: give the last day the " +
			"suppression applies, YYYY-MM-DD")
	}
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	until, err := config.ParseDate(f.until)
	if err != nil {
		// config's message names a fixed example; name one ahead of today.
		return time.Time{}, "", fmt.Errorf("--until: %q is not a date: write YYYY-MM-DD, "+
			"such as %s", f.until, today.AddDate(0, 3, 0).Format(config.DateLayout))
	}
	// The suppression applies until the end of the until day (UTC), so
	// today is the earliest day it can name.
	if until.Before(today) {
		return time.Time{}, "", fmt.Errorf("--until %s is in the past: a suppression "+
			"applies until the end of its day, give today (%s) or later", f.until,
			today.Format(config.DateLayout))
	}
	if limit := suppressionLimit(today); until.After(limit) && !f.allowLong {
		return time.Time{}, "", fmt.Errorf("--until %s is more than %s ahead: by policy a "+
			"suppression is a time-boxed accepted risk, to review by %s at the latest; "+
			"give an earlier day, or pass --allow-long to accept it for longer",
			f.until, maxSuppression, limit.Format(config.DateLayout))
	}
	by := strings.TrimSpace(f.by)
	if by == "" {
		by = currentUser()
	}
	if by == "" {
		return time.Time{}, "", errors.New("--by is required: $USER is not set and the " +
			"OS user is unknown")
	}
	return until, by, nil
}

// currentUser names who runs ward: $USER, then the OS account.
func currentUser() string {
	if u := strings.TrimSpace(os.Getenv("USER")); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
