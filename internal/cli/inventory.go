package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/store"
)

type inventoryFlags struct {
	kind   string
	source string
	format string
}

func newInventory(g *globalFlags) *cobra.Command {
	f := &inventoryFlags{}
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "List the accounts of the latest scan: kind, owner, what they reach",
		Long: `inventory lists the accounts of each source as its latest scan stored them:
kind (service, human or unknown) and the reasons for it, owner, whether it
can log in, how many grants it holds and how many reach PHI, and its open
findings. It reads the store only; it never connects to a source.

A source that failed in the latest scan is shown as its last successful
scan saw it, and the output says so.`,
		Example: `  ward inventory
  ward inventory --kind service
  ward inventory --source ehr --format csv > accounts.csv
  ward inventory --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInventory(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.kind, "kind", "", "only accounts of this kind: service, human or unknown")
	fl.StringVar(&f.source, "source", "", "only accounts of this source")
	fl.StringVarP(&f.format, "format", "f", "text", "output format: text, json or csv")
	return cmd
}

func runInventory(cmd *cobra.Command, g *globalFlags, f *inventoryFlags) error {
	f.kind = strings.ToLower(strings.TrimSpace(f.kind))
	switch inventory.Kind(f.kind) {
	case "", inventory.KindService, inventory.KindHuman, inventory.KindUnknown:
	default:
		return withCode(ExitError,
			fmt.Errorf("--kind: unknown kind %q: use service, human or unknown", f.kind))
	}
	if err := checkFormat(f.format, "text", "json", "csv"); err != nil {
		return err
	}

	ctx := cmd.Context()
	v, err := openStoreView(ctx, g)
	if err != nil {
		return err
	}
	defer v.Close()
	sources, notes, err := v.latestAccounts(ctx, f.source)
	if err != nil {
		return err
	}
	inv := report.Inventory{OpenFindings: map[string]int{}}
	for _, s := range sources {
		for _, a := range s.accounts {
			if f.kind == "" || a.Kind == inventory.Kind(f.kind) {
				inv.Accounts = append(inv.Accounts, a)
			}
		}
	}
	open, err := v.st.Findings(ctx,
		store.FindingFilter{Status: store.FindingOpen, Source: f.source})
	if err != nil {
		return withCode(ExitError, err)
	}
	for _, r := range open {
		if r.AccountID != "" {
			inv.OpenFindings[r.AccountID]++
		}
	}

	if err := writeInventory(cmd.OutOrStdout(), f.format, inv, notes); err != nil {
		return withCode(ExitError, err)
	}
	if f.format != "text" {
		// Machine formats hold accounts only; where they come from goes
		// to stderr so that a failed source is not passed over.
		for _, n := range notes {
			fmt.Fprintln(cmd.ErrOrStderr(), "ward:", n)
		}
	}
	return nil
}

func writeInventory(w io.Writer, format string, inv report.Inventory, notes []string) error {
	switch format {
	case "json":
		return report.WriteInventoryJSON(w, inv)
	case "csv":
		return report.WriteInventoryCSV(w, inv)
	}
	return report.WriteInventoryText(w, inv, report.ListOptions{Color: isTerminal(w), Notes: notes})
}
