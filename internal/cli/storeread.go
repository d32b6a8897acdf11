package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

// storeView is what the commands that read the store work from: the
// configuration (without its secrets), the open store and its latest scan.
type storeView struct {
	cfg    *config.Config
	st     *store.Store
	latest *store.ScanSummary
}

// openStoreView loads the configuration without its secrets and opens the
// store it names. A store that does not exist, or holds no scan, is a
// usage error that says to run ward scan first; the file is not created.
func openStoreView(ctx context.Context, g *globalFlags) (*storeView, error) {
	cfg, err := config.LoadWithoutSecrets(config.Resolve(g.config))
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	if _, err := os.Stat(cfg.Store); errors.Is(err, fs.ErrNotExist) {
		return nil, withCode(ExitError,
			fmt.Errorf("no store at %s: run `ward scan` first", cfg.Store))
	}
	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	latest, err := st.LatestScan(ctx)
	if err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, withCode(ExitError, fmt.Errorf("the store %s holds no scan yet: "+
				"run `ward scan` first", cfg.Store))
		}
		return nil, withCode(ExitError, err)
	}
	return &storeView{cfg: cfg, st: st, latest: latest}, nil
}

func (v *storeView) Close() error { return v.st.Close() }

// suppressions returns the suppressions of the configuration and the store
// by fingerprint, judged now.
func (v *storeView) suppressions(ctx context.Context) (map[string]inventory.Suppression, error) {
	stored, err := v.st.Suppressions(ctx)
	if err != nil {
		return nil, withCode(ExitError, err)
	}
	return suppressionIndex(v.cfg.Suppressions, stored, time.Now()), nil
}

// sourceAccounts are the accounts of one source as its latest successful
// scan stored them.
type sourceAccounts struct {
	source   string
	scanID   string
	started  time.Time
	accounts []inventory.Account
}

// latestAccounts returns, for each source of the latest scan (or only
// source, when given), the accounts of the latest scan that collected it,
// with notes for the sources that failed in the latest scan. A source the
// latest scan does not have is a usage error.
func (v *storeView) latestAccounts(ctx context.Context, source string) (
	[]sourceAccounts, []string, error) {
	var names []string
	for _, s := range v.latest.Sources {
		names = append(names, s.Name)
	}
	if source != "" && !slices.Contains(names, source) {
		return nil, nil, withCode(ExitError, fmt.Errorf("no source %q in the latest scan: "+
			"its sources are %s", source, strings.Join(names, ", ")))
	}

	notes := []string{fmt.Sprintf("From scan %s of %s.", v.latest.ID,
		v.latest.StartedAt.UTC().Format("2006-01-02 15:04 MST"))}
	byScan := map[string][]inventory.Account{}
	var out []sourceAccounts
	for _, s := range v.latest.Sources {
		if source != "" && s.Name != source {
			continue
		}
		sum := v.latest
		if s.Status == inventory.StatusFailed {
			prev, err := v.st.PreviousScan(ctx, s.Name, "")
			if errors.Is(err, store.ErrNotFound) {
				notes = append(notes, fmt.Sprintf("Source %s failed in the latest scan and "+
					"no earlier scan collected it: it has no accounts to show.", s.Name))
				continue
			}
			if err != nil {
				return nil, nil, withCode(ExitError, err)
			}
			sum = prev
			notes = append(notes, fmt.Sprintf("Source %s failed in the latest scan; its "+
				"accounts are from scan %s of %s.", s.Name, prev.ID,
				prev.StartedAt.UTC().Format("2006-01-02 15:04 MST")))
		}
		all, ok := byScan[sum.ID]
		if !ok {
			var err error
			if all, err = v.st.Accounts(ctx, sum.ID); err != nil {
				return nil, nil, withCode(ExitError, err)
			}
			byScan[sum.ID] = all
		}
		sa := sourceAccounts{source: s.Name, scanID: sum.ID, started: sum.StartedAt}
		for _, a := range all {
			if a.Source == s.Name {
				sa.accounts = append(sa.accounts, a)
			}
		}
		out = append(out, sa)
	}
	return out, notes, nil
}

// checkFormat returns a usage error unless format is one of allowed.
func checkFormat(format string, allowed ...string) error {
	if slices.Contains(allowed, format) {
		return nil
	}
	return withCode(ExitError, fmt.Errorf("--format: unknown format %q: use %s", format,
		strings.Join(allowed, ", ")))
}

// openStore opens ward's store, explaining the one failure users meet by
// mistake: `store:` naming a file that is not ward's.
func openStore(ctx context.Context, path string) (*store.Store, error) {
	st, err := store.Open(ctx, path)
	if err != nil && strings.Contains(err.Error(), "not a database") {
		return nil, fmt.Errorf("%w: %s is not a SQLite file; `store:` in ward.yaml must name "+
			"ward's own database (a new path is created on the first scan)", err, path)
	}
	return st, err
}
