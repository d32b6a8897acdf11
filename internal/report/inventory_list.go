package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Inventory is what `ward inventory` lists: accounts as their latest scan
// stored them.
type Inventory struct {
	Accounts []inventory.Account
	// OpenFindings counts the open findings of each account, by ID.
	OpenFindings map[string]int
}

// accountRow is one account of the inventory with what it reaches
// summed up.
type accountRow struct {
	ID          string   `json:"id"`
	Source      string   `json:"source"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	KindReasons []string `json:"kind_reasons"`
	Owner       string   `json:"owner"`
	Purpose     string   `json:"purpose"`
	CanLogin    bool     `json:"can_login"`
	Superuser   bool     `json:"superuser"`
	ValidUntil  jsonTime `json:"valid_until"`
	// Grants counts every grant; PHIGrants those on PHI; SetRoleOnly
	// those reachable only after SET ROLE.
	Grants      int `json:"grants"`
	PHIGrants   int `json:"phi_grants"`
	SetRoleOnly int `json:"set_role_only_grants"`
	// PHIResources are the distinct PHI resources the account reaches.
	PHIResources   []string `json:"phi_resources"`
	DangerousRoles []string `json:"dangerous_roles"`
	OpenFindings   int      `json:"open_findings"`
	// sweeping is what the account reaches beyond its listed grants
	// (sweepingReach); allData is true when that is every table.
	sweeping string
	allData  bool
}

func inventoryRows(inv Inventory) []accountRow {
	rows := []accountRow{}
	for _, a := range sortedAccounts(inv.Accounts) {
		r := accountRow{
			ID: a.ID, Source: a.Source, Name: a.Name, Kind: string(a.Kind),
			KindReasons: nonNil(slices.Clone(a.KindReasons)), Owner: a.Owner,
			Purpose: a.Purpose, CanLogin: a.Attributes.CanLogin,
			Superuser: a.Attributes.Superuser, Grants: len(a.Grants),
			DangerousRoles: nonNil(slices.Clone(a.Attributes.DangerousRoles)),
			OpenFindings:   inv.OpenFindings[a.ID],
			sweeping:       sweepingReach(a),
			allData: a.Attributes.Superuser ||
				slices.Contains(a.Attributes.DangerousRoles, "pg_read_all_data") ||
				slices.Contains(a.Attributes.DangerousRoles, "pg_write_all_data"),
		}
		if a.Attributes.ValidUntil != nil {
			r.ValidUntil = jsonTime(*a.Attributes.ValidUntil)
		}
		seen := map[string]bool{}
		for _, g := range a.Grants {
			if g.SetRoleOnly {
				r.SetRoleOnly++
			}
			if !g.PHI {
				continue
			}
			r.PHIGrants++
			if !seen[g.Resource] {
				seen[g.Resource] = true
				r.PHIResources = append(r.PHIResources, g.Resource)
			}
		}
		slices.Sort(r.PHIResources)
		r.PHIResources = nonNil(r.PHIResources)
		rows = append(rows, r)
	}
	return rows
}

// Column widths of the inventory table.
const (
	invIDW     = 28
	invKindW   = 7
	invLoginW  = 5
	invOwnerW  = 20
	invNumW    = 6
	invPHIObjW = 7
)

// WriteInventoryText writes the accounts as a table, one account a line
// with the reasons for its kind below it, sorted by ID. Names from a
// source are escaped as in WriteText. An account that reaches every table
// whatever its grants (a superuser, a member of pg_read_all_data) shows
// "all" in the grant columns, and a line below says what it reaches.
func WriteInventoryText(w io.Writer, inv Inventory, opt ListOptions) error {
	t, bw := listWriter(w, opt)
	rows := inventoryRows(inv)
	if len(rows) == 0 {
		t.line("No account matches.")
		return t.finish(bw, "inventory")
	}
	row := func(id, kind, login, owner, grants, phi, objs string) string {
		return strings.TrimRight(fmt.Sprintf("  %s  %s  %s  %s  %*s  %*s  %*s",
			pad(id, invIDW), pad(kind, invKindW), pad(login, invLoginW), pad(owner, invOwnerW),
			invNumW, grants, invNumW, phi, invPHIObjW, objs), " ")
	}
	t.line(t.p.bold(row("ACCOUNT", "KIND", "LOGIN", "OWNER", "GRANTS", "ON PHI", "PHI OBJ")))
	services, reach, sweeping := 0, 0, 0
	for _, r := range rows {
		login := "no"
		if r.CanLogin {
			login = "yes"
		}
		owner := truncEnd(clean(r.Owner), invOwnerW)
		if r.Owner == "" {
			owner = t.p.paint(yellow, pad("none", invOwnerW))
		}
		grants, phi, objs := fmt.Sprint(r.Grants), fmt.Sprint(r.PHIGrants),
			fmt.Sprint(len(r.PHIResources))
		switch {
		case r.allData:
			grants, objs = "all", "all"
			phi = t.p.paint(magenta, fmt.Sprintf("%*s", invNumW, "all"))
		case r.PHIGrants > 0:
			phi = t.p.paint(magenta, fmt.Sprintf("%*d", invNumW, r.PHIGrants))
		}
		if r.PHIGrants > 0 {
			reach++
		}
		if r.sweeping != "" {
			sweeping++
		}
		if r.Kind == string(inventory.KindService) {
			services++
		}
		t.line(row(truncMiddle(clean(r.ID), invIDW), truncEnd(clean(r.Kind), invKindW), login,
			owner, grants, phi, objs))
		if r.sweeping != "" {
			t.para("      ", 6, fmt.Sprintf("Reach: %s; %s listed.", r.sweeping,
				plural(r.Grants, "grant")))
		}
		if len(r.KindReasons) > 0 {
			t.para("      ", 6, strings.Join(r.KindReasons, "; "))
		}
	}
	t.line("")
	summary := fmt.Sprintf("%s: %d service, %d with grants on PHI", plural(len(rows), "account"),
		services, reach)
	if sweeping > 0 {
		summary += fmt.Sprintf(", %d with sweeping reach", sweeping)
	}
	t.line(summary + ".")
	return t.finish(bw, "inventory")
}

// WriteInventoryJSON writes {"accounts": [...]}: each account with its
// kind and reasons, owner, login, grant counts, the PHI resources it
// reaches and its open findings, sorted by ID.
func WriteInventoryJSON(w io.Writer, inv Inventory) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	doc := struct {
		Accounts []accountRow `json:"accounts"`
	}{inventoryRows(inv)}
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json inventory: %w", err)
	}
	return nil
}

// WriteInventoryCSV writes the inventory as CSV, one row per account, in
// the form and with the formula protection of WriteCSV.
func WriteInventoryCSV(w io.Writer, inv Inventory) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	header := []string{"id", "source", "name", "kind", "kind_reasons", "owner", "purpose",
		"can_login", "superuser", "valid_until", "grants", "phi_grants", "set_role_only_grants",
		"phi_resources", "dangerous_roles", "open_findings"}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv inventory: %w", err)
	}
	for _, r := range inventoryRows(inv) {
		until := ""
		if !time.Time(r.ValidUntil).IsZero() {
			until = csvTime(time.Time(r.ValidUntil))
		}
		rec := []string{r.ID, r.Source, r.Name, r.Kind, strings.Join(r.KindReasons, "; "),
			r.Owner, r.Purpose, yesNo(r.CanLogin), yesNo(r.Superuser), until,
			strconv.Itoa(r.Grants), strconv.Itoa(r.PHIGrants), strconv.Itoa(r.SetRoleOnly),
			strings.Join(r.PHIResources, "; "), strings.Join(r.DangerousRoles, "; "),
			strconv.Itoa(r.OpenFindings)}
		if err := cw.Write(safeRow(rec)); err != nil {
			return fmt.Errorf("write csv inventory: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv inventory: %w", err)
	}
	return nil
}
