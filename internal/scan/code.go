package scan

import (
	"context"
	"fmt"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/secrets"
)

// scanCode searches the code sources of the configuration for hard-coded
// credentials and ties each one it can to an account of the systems
// scanned before (the user and host of a DSN to a PostgreSQL source's
// login), so that the finding appears on that account in every report.
// A code tree that cannot be read fails its source only.
func scanCode(ctx context.Context, opt Options, snaps []*inventory.Snapshot,
	res *inventory.ScanResult) error {
	cfg := opt.Config
	var codes []config.Source
	for _, src := range cfg.Sources {
		if src.Type == config.TypeCode {
			codes = append(codes, src)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	if opt.SecretsKeyFile == "" {
		return fmt.Errorf("code sources need a key file for stable fingerprints")
	}
	key, err := secrets.LoadKey(opt.SecretsKeyFile)
	if err != nil {
		return fmt.Errorf("secrets fingerprint key: %w", err)
	}
	targets := secrets.TargetsFrom(cfg.Sources, snaps)

	for _, src := range codes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if opt.Progress != nil {
			opt.Progress("searching source " + src.Name + " for credentials")
		}
		sr := inventory.SourceResult{Name: src.Name, Type: src.Type, Status: inventory.StatusComplete}
		sc, err := secrets.New(secrets.Options{Source: src.Name, Key: key, Logger: opt.Log})
		var found *secrets.Result
		if err == nil {
			if src.Git {
				found, err = sc.ScanHistory(ctx, src.Path, src.Since)
			} else {
				found, err = sc.ScanPath(ctx, src.Path)
			}
		}
		if err != nil {
			sr.Status, sr.Error = inventory.StatusFailed, fmt.Sprintf("source %s: %v", src.Name, err)
			sr.UncheckedRules = allRuleIDs()
			res.Sources = append(res.Sources, sr)
			continue
		}
		fs := secrets.Link(sc.Findings(found.Secrets), found.Secrets, targets)
		res.Findings = append(res.Findings, fs...)
		res.Sources = append(res.Sources, sr)
	}
	return nil
}
