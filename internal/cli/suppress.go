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
	revoke    string
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
		Use: "suppress FINGERPRINT --reason TEXT --until YYYY-MM-DD\n" +
			"  ward suppress --revoke FINGERPRINT --reason TEXT",
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
the configuration.

--revoke FINGERPRINT ends now a suppression recorded with ward suppress; the
store keeps it, with who revoked it, when and why (--reason). The finding
counts again at once. A suppression in ward.yaml is revoked by removing it
from the file.`,
		Example: `  ward findings --severity high
  ward suppress 2776f3b00ab30db3 --reason "legacy loader; replacement in SEC-42" --until 2027-06-30
  ward suppress 2776f3b00ab30db3 --reason "VPN only, CC-12" --until 2027-01-31 --by ciso@clinic.example
  ward suppress --revoke 2776f3b00ab30db3 --reason "VPN decommissioned; control gone"
  ward suppressions --all`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.revoke != "" {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.revoke != "" {
				return runRevoke(cmd, g, f)
			}
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
	fl.StringVar(&f.revoke, "revoke", "",
		"end now the ward suppress suppression of this fingerprint (with --reason)")
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

// runRevoke ends the suppression of f.revoke recorded with ward suppress.
func runRevoke(cmd *cobra.Command, g *globalFlags, f *suppressFlags) error {
	fp := f.revoke
	switch {
	case !config.ValidFingerprint(fp):
		return withCode(ExitError, fmt.Errorf("--revoke: %q is not a fingerprint: copy the "+
			"16 hex digits `ward suppressions` shows", fp))
	case strings.TrimSpace(f.reason) == "":
		return withCode(ExitError, errors.New("--reason is required: say why the accepted "+
			"risk ends, such as the control that no longer holds"))
	case f.until != "" || f.allowLong:
		return withCode(ExitError, errors.New("--revoke takes no --until or --allow-long: "+
			"it ends the suppression now"))
	}
	by := strings.TrimSpace(f.by)
	if by == "" {
		by = currentUser()
	}
	if by == "" {
		return withCode(ExitError, errors.New("--by is required: $USER is not set and the "+
			"OS user is unknown"))
	}

	ctx := cmd.Context()
	v, err := openStoreView(ctx, g)
	if err != nil {
		return err
	}
	defer v.Close()
	err = v.st.RevokeSuppression(ctx, fp, f.reason, by, time.Now())
	if errors.Is(err, store.ErrNoSuppression) {
		for _, c := range v.cfg.Suppressions {
			if c.Fingerprint == fp {
				return withCode(ExitError, fmt.Errorf("the suppression of %s is in %s:%d: "+
					"it cannot be revoked by command; remove it from the file", fp,
					v.cfg.Path, c.Line))
			}
		}
		return withCode(ExitError, fmt.Errorf("%s has no suppression recorded with ward "+
			"suppress to revoke: list them with `ward suppressions --all`", fp))
	}
	if err != nil {
		return withCode(ExitError, err)
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "Revoked the suppression of %s, by %s; it stays in the store as "+
		"history.\n", fp, by)
	for _, c := range v.cfg.Suppressions {
		if c.Fingerprint == fp {
			fmt.Fprintf(out, "%s:%d still suppresses it, until %s: remove it from the file "+
				"to end that one.\n", v.cfg.Path, c.Line, c.Until.Format(config.DateLayout))
			return nil
		}
	}
	fmt.Fprintln(out, "The finding counts again for --fail-on.")
	return nil
}
