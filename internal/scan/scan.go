// Package scan runs ward's main job: every configured source is read by
// its connector, its accounts are classified and its resources marked PHI,
// the rules are evaluated, and the result is stored. One source failing
// does not stop the others.
package scan

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/wardsec/ward/internal/classify"
	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/phi"
	"github.com/wardsec/ward/internal/rules"
	"github.com/wardsec/ward/internal/usage"
)

// Options configure one run.
type Options struct {
	Config   *config.Config
	Registry Registry
	Log      *slog.Logger
	// Version is ward's version, recorded in the result.
	Version string
	// Progress, when set, is told what the scan is doing.
	Progress func(step string)
	// Usage, when set, returns what a source's accounts did according to
	// its ingested logs, or nil when none were ingested (the usage rules
	// are then listed as not evaluated).
	Usage func(ctx context.Context, source, scanner string) (*usage.Usage, error)
	// SecretsKeyFile holds the key that keeps the fingerprints of
	// hard-coded credentials stable between scans; it is created when
	// missing. Only code sources need it.
	SecretsKeyFile string
}

// Run scans every source of the configuration. It returns an error only
// when nothing could be attempted (a bad PHI pattern, say); a source that
// fails is recorded in the result with status failed.
func Run(ctx context.Context, opt Options) (*inventory.ScanResult, error) {
	cfg := opt.Config
	matcher, err := phi.NewMatcher(cfg.PHI)
	if err != nil {
		return nil, fmt.Errorf("phi patterns in %s: %w", cfg.Path, err)
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	res := &inventory.ScanResult{
		ID:          newID(time.Now()),
		StartedAt:   time.Now().UTC(),
		WardVersion: opt.Version,
		ConfigPath:  cfg.Path,
		ConfigHash:  cfg.Hash,
		Accounts:    []inventory.Account{},
		Findings:    []inventory.Finding{},
	}
	var snaps []*inventory.Snapshot
	for _, src := range cfg.Sources {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if src.Type == config.TypeCode {
			continue // after the systems whose accounts its secrets belong to
		}
		if opt.Progress != nil {
			opt.Progress("scanning source " + src.Name)
		}
		sr := scanSource(ctx, opt.Registry, src, log)
		if sr.Snapshot == nil {
			// Nothing was evaluated: no earlier finding of this source may be
			// taken as resolved (the store also keeps them for a failed source).
			sr.UncheckedRules = allRuleIDs()
		} else {
			sr.Snapshot.RedactSecrets()
			snaps = append(snaps, sr.Snapshot)
			matcher.Mark(sr.Snapshot)
			u, err := sourceUsage(ctx, opt, sr.Snapshot)
			if err != nil {
				return nil, err
			}
			classify.ClassifyUsage(sr.Snapshot, cfg.Owners, u)
			sr.UncheckedRules = uncheckedRules(sr.Snapshot, u)
			res.Accounts = append(res.Accounts, sr.Snapshot.Accounts...)
			res.Findings = append(res.Findings, rules.Evaluate(rules.Input{
				Snapshot: sr.Snapshot,
				Owners:   cfg.Owners,
				Policy:   cfg.Policy,
				Usage:    u,
			})...)
		}
		res.Sources = append(res.Sources, sr)
	}
	if err := scanCode(ctx, opt, snaps, res); err != nil {
		return nil, err
	}
	res.FinishedAt = time.Now().UTC()

	sort.Slice(res.Accounts, func(i, j int) bool { return res.Accounts[i].ID < res.Accounts[j].ID })
	sortFindings(res.Findings)
	return res, nil
}

func scanSource(ctx context.Context, reg Registry, src config.Source, log *slog.Logger) inventory.SourceResult {
	sr := inventory.SourceResult{Name: src.Name, Type: src.Type}
	conn, err := reg.New(src, log)
	if err != nil {
		sr.Status, sr.Error = inventory.StatusFailed, err.Error()
		return sr
	}
	snap, err := conn.Scan(ctx)
	if err != nil {
		log.Warn("source could not be scanned", "err", err)
		sr.Status, sr.Error = inventory.StatusFailed, err.Error()
		return sr
	}
	snap.Source, snap.Type = src.Name, src.Type
	sr.Snapshot = snap
	sr.Status = inventory.StatusComplete
	if !snap.Complete() {
		sr.Status = inventory.StatusPartial
		var skipped []string
		for _, d := range snap.Databases {
			if !d.Scanned {
				skipped = append(skipped, d.Name)
			}
		}
		sr.Error = fmt.Sprintf("%d database(s) not scanned: %v", len(skipped), skipped)
	}
	return sr
}

// sourceUsage asks for the usage of the snapshot's source, if the scan
// was given a way to.
func sourceUsage(ctx context.Context, opt Options, s *inventory.Snapshot) (*usage.Usage, error) {
	if opt.Usage == nil {
		return nil, nil
	}
	u, err := opt.Usage(ctx, s.Source, s.Scanner)
	if err != nil {
		return nil, fmt.Errorf("source %s: usage from its logs: %w", s.Source, err)
	}
	return u, nil
}

// uncheckedRules names the rules whose input the snapshot lacks, so that
// their earlier findings are not taken as resolved. The usage rules read
// the source's ingested logs: without them (u nil) they are among these.
func uncheckedRules(s *inventory.Snapshot, u *usage.Usage) []string {
	var out []string
	if u == nil {
		out = rules.UsageRules()
	}
	if s.Postgres == nil {
		return append(rules.SettingsRules(), out...)
	}
	if s.Postgres.HBA == nil {
		return append(rules.HBARules(), out...)
	}
	return out
}

func allRuleIDs() []string {
	var ids []string
	for _, r := range rules.Catalog() {
		ids = append(ids, r.ID)
	}
	return ids
}

func sortFindings(fs []inventory.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		return a.Resource < b.Resource
	})
}

func newID(t time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
