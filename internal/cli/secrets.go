package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/secrets"
)

type secretsFlags struct {
	git            bool
	since          string
	format         string
	output         string
	baseline       string
	updateBaseline bool
	failOn         string
	allowlist      string
	keyFile        string
	maxFileSize    int64
	verify         bool
}

func newSecrets(env *Env, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Find hard-coded credentials in code and git history",
	}
	cmd.AddCommand(newSecretsScan(env, g))
	return cmd
}

func newSecretsScan(env *Env, g *globalFlags) *cobra.Command {
	f := &secretsFlags{}
	cmd := &cobra.Command{
		Use:   "scan PATH",
		Short: "Scan a tree, or a repository's history, for hard-coded credentials",
		Long: `scan reads every file under PATH (or, with --git, every line added by
every commit reachable from any ref) and reports database passwords,
cloud keys, tokens and private keys, each with the identity it names
(user@host/database, key ID, client e-mail, namespace/account). No secret
is ever printed: a keyed hash and at most its first and last two
characters.

With --verify and --config, each database password whose user@host:port
names a PostgreSQL source of ward.yaml is tried once, by a login to that
source's own host and port (never any other host): live, dead or
unknown. The attempt shows in that server's logs as application
ward-verify. Off by default.

Exit status: 0 no finding; 1 findings at or above --fail-on (default: any
finding, as a pre-commit hook wants); 2 usage or read errors.`,
		Example: `  ward secrets scan .
  ward secrets scan --git --since origin/main .     # CI: commits not yet on main
  ward secrets scan --format sarif -o secrets.sarif .
  ward secrets scan --baseline .ward-secrets-baseline.json --update-baseline .
  ward secrets scan --baseline .ward-secrets-baseline.json --fail-on high .
  ward secrets scan --verify -c /etc/ward/ward.yaml deploy/`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretsScan(cmd, env, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.git, "git", false, "scan the git history of PATH instead of its files")
	fl.StringVar(&f.since, "since", "", "with --git, only commits not reachable from REV")
	fl.StringVar(&f.format, "format", "table", "output: "+strings.Join(secrets.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of stdout")
	fl.StringVar(&f.baseline, "baseline", "", "accept the secrets recorded in FILE")
	fl.BoolVar(&f.updateBaseline, "update-baseline", false,
		"record every secret found in the --baseline FILE (created if missing) and exit 0")
	fl.StringVar(&f.failOn, "fail-on", "info",
		"exit 1 when a finding is at or above this severity, or never")
	fl.StringVar(&f.allowlist, "allowlist", "",
		"allowlist FILE (default PATH/"+secrets.AllowlistFile+" when it exists)")
	fl.StringVar(&f.keyFile, "key-file", "",
		"key of the keyed hashes in fingerprints, created if missing; without it "+
			"fingerprints change from run to run")
	fl.BoolVar(&f.verify, "verify", false,
		"try a login with each found password whose host and port are a PostgreSQL source "+
			"of --config, and record live, dead or unknown")
	fl.Int64Var(&f.maxFileSize, "max-file-size", secrets.DefaultMaxFileSize,
		"skip files larger than this many bytes")
	return cmd
}

func runSecretsScan(cmd *cobra.Command, env *Env, g *globalFlags, f *secretsFlags,
	root string) error {
	var err error
	failOn := inventory.Severity("")
	if f.failOn != "never" {
		s, err := inventory.ParseSeverity(f.failOn)
		if err != nil {
			return withCode(ExitError, fmt.Errorf("--fail-on: %w, or never", err))
		}
		failOn = s
	}
	if f.updateBaseline && f.baseline == "" {
		return withCode(ExitError, errors.New("--update-baseline needs --baseline FILE"))
	}
	if f.since != "" && !f.git {
		return withCode(ExitError, errors.New("--since needs --git"))
	}
	var verifySrcs []config.Source
	if f.verify && !f.updateBaseline {
		if verifySrcs, err = verifySources(g); err != nil {
			return withCode(ExitError, err)
		}
	}
	opts := secrets.Options{MaxFileSize: f.maxFileSize, Logger: g.logger(env.Stderr)}
	allow, err := loadAllowlist(root, f.allowlist)
	if err != nil {
		return withCode(ExitError, err)
	}
	opts.Allow = allow
	if f.keyFile != "" {
		if opts.Key, err = secrets.LoadKey(f.keyFile); err != nil {
			return withCode(ExitError, err)
		}
	}
	sc, err := secrets.New(opts)
	if err != nil {
		return withCode(ExitError, err)
	}

	var res *secrets.Result
	if f.git {
		res, err = sc.ScanHistory(cmd.Context(), root, f.since)
	} else {
		res, err = sc.ScanPath(cmd.Context(), root)
	}
	if err != nil {
		return withCode(ExitError, err)
	}

	found := res.Secrets
	rep := &secrets.Report{Stats: res.Stats, Version: env.Version}
	if f.baseline != "" {
		b, err := openBaseline(f.baseline, f.updateBaseline)
		if err != nil {
			return withCode(ExitError, err)
		}
		if f.updateBaseline {
			if err := b.Add(found); err != nil {
				return withCode(ExitError, err)
			}
			if err := b.Write(f.baseline); err != nil {
				return withCode(ExitError, err)
			}
			fmt.Fprintf(env.Stderr, "ward: %d secret(s) recorded in %s\n", len(b.Entries), f.baseline)
			return nil
		}
		if found, rep.Baselined, err = b.Filter(found); err != nil {
			return withCode(ExitError, err)
		}
	}
	if f.verify {
		if found, err = secrets.Verify(cmd.Context(), found, verifySrcs,
			secrets.VerifyOptions{Logger: opts.Logger}); err != nil {
			return withCode(ExitError, err)
		}
		sayVerified(env.Stderr, found)
	}
	rep.Secrets = found
	rep.Findings = sc.Findings(found)

	if f.output != "" {
		if err := writeSecretsReport(f.output, f.format, rep); err != nil {
			return withCode(ExitError, fmt.Errorf("write report: %w", err))
		}
	} else if err := secrets.Write(cmd.OutOrStdout(), f.format, rep); err != nil {
		return withCode(ExitError, err)
	}
	if failOn != "" {
		for _, fd := range rep.Findings {
			if fd.Severity.AtLeast(failOn) {
				return errFindings
			}
		}
	}
	return nil
}

// verifySources loads the sources --verify may log in to. The
// configuration must be named (--config or $WARD_CONFIG): a ward.yaml
// lying in the scanned tree must not choose the servers that receive the
// passwords found there.
func verifySources(g *globalFlags) ([]config.Source, error) {
	path := g.config
	if path == "" {
		path = os.Getenv(config.EnvVar)
	}
	if path == "" {
		return nil, errors.New("--verify needs --config FILE: only the PostgreSQL sources " +
			"configured there are tried")
	}
	cfg, err := config.LoadWithoutSecrets(path)
	if err != nil {
		return nil, fmt.Errorf("--verify: %w", err)
	}
	return cfg.Sources, nil
}

// sayVerified counts the outcomes of --verify's login attempts.
func sayVerified(w io.Writer, secs []secrets.Secret) {
	seen := map[*secrets.Verification]bool{}
	n := map[string]int{}
	for _, sc := range secs {
		if v := sc.Verification; v != nil && !seen[v] {
			seen[v] = true
			n[v.Status]++
		}
	}
	fmt.Fprintf(w, "ward: --verify: %d login(s) tried: %d live, %d dead, %d unknown\n",
		len(seen), n[secrets.VerifyLive], n[secrets.VerifyDead], n[secrets.VerifyUnknown])
}

// loadAllowlist reads the allowlist named by the flag, or the tree's own
// allowlist file when there is one.
func loadAllowlist(root, flag string) (secrets.Allowlist, error) {
	if flag != "" {
		return secrets.LoadAllowlist(flag)
	}
	p := filepath.Join(root, secrets.AllowlistFile)
	if _, err := os.Stat(p); err != nil {
		return secrets.Allowlist{}, nil
	}
	return secrets.LoadAllowlist(p)
}

// openBaseline loads a baseline; a missing one is created empty when it
// is about to be written.
func openBaseline(file string, create bool) (*secrets.Baseline, error) {
	b, err := secrets.LoadBaseline(file)
	if err == nil || !create || !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	return secrets.NewBaseline()
}

// writeSecretsReport writes the report to path: a regular file is
// replaced atomically and made 0600, as ward scan's reports are; an
// existing device or pipe (-o /dev/null, -o /dev/stdout) is written in
// place, since renaming over it would replace the device.
func writeSecretsReport(path, format string, rep *secrets.Report) error {
	return writeFileAtomic(path, func(file *os.File) error {
		return secrets.Write(file, format, rep)
	})
}
