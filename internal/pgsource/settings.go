package pgsource

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pgsource/hba"
)

// settingNames are the pg_settings rows ward reads besides every pgaudit.*
// row. shared_preload_libraries and hba_file are visible only to members
// of pg_read_all_settings.
var settingNames = []string{
	"server_version", "server_version_num", "password_encryption", "ssl",
	"ssl_min_protocol_version", "log_connections", "log_disconnections",
	"shared_preload_libraries", "logging_collector", "log_destination",
	"log_line_prefix", "log_statement", "log_min_error_statement",
	"log_min_duration_statement", "log_timezone", "hba_file",
	"authentication_timeout", "db_user_namespace", "row_security",
}

// maxHBAFile bounds the size of a pg_hba.conf copy read from disk.
const maxHBAFile = 4 << 20

// readSettings fills the security settings and records the gaps of what
// the scanner could not see.
func (c *Connector) readSettings(ctx context.Context, tx pgx.Tx, cl *cluster,
	snap *inventory.Snapshot) error {
	s := &inventory.PGSettings{
		ServerVersion:    cl.version,
		ServerVersionNum: cl.versionNum,
		Other:            map[string]string{},
	}
	snap.Postgres = s

	rows, err := tx.Query(ctx, `
SELECT name, setting, source FROM pg_settings
WHERE name = ANY($1) OR name LIKE 'pgaudit.%' ORDER BY name`, settingNames)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	var name, value, source string
	seen := map[string]bool{}
	pgaudit := false
	_, err = pgx.ForEachRow(rows, []any{&name, &value, &source}, func() error {
		seen[name] = true
		if strings.HasPrefix(name, "pgaudit.") {
			pgaudit = true
		}
		c.setSetting(s, name, value, source)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}

	if seen["shared_preload_libraries"] {
		s.PgauditLoaded = slices.Contains(splitList(s.PreloadLibraries), "pgaudit")
	} else {
		// pgaudit's settings exist only once its library is loaded.
		s.PgauditLoaded = pgaudit
		snap.Gaps = append(snap.Gaps, inventory.Gap{
			Check: "shared_preload_libraries",
			Reason: "hidden from the scanner; whether pgaudit is preloaded was inferred " +
				"from the presence of pgaudit.* settings",
			Enable: "GRANT pg_read_all_settings TO " + quoteIdent(cl.scanner) + ";",
		})
	}

	if s.Overrides, err = readOverrides(ctx, tx); err != nil {
		return err
	}
	return nil
}

// setSetting stores one pg_settings row in its field. A value that comes
// from the scanner's own session, role or database (not the server
// configuration) is marked in Other as "<name>.source".
func (c *Connector) setSetting(s *inventory.PGSettings, name, value, source string) {
	switch name {
	case "server_version", "server_version_num":
		return
	case "password_encryption":
		s.PasswordEncryption = value
	case "ssl":
		s.SSL = value
	case "log_connections":
		s.LogConnections = value
	case "log_disconnections":
		s.LogDisconnections = value
	case "shared_preload_libraries":
		s.PreloadLibraries = value
	case "pgaudit.log":
		s.PgauditLog = value
	default:
		s.Other[name] = value
	}
	switch source {
	case "user", "database", "database user", "session", "client":
		s.Other[name+".source"] = source
	}
}

// splitList splits a comma-separated setting such as
// shared_preload_libraries, dropping quotes and spaces.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// readOverrides reads pg_db_role_setting: the per-role, per-database and
// per-role-in-database settings (ALTER ROLE/DATABASE ... SET).
func readOverrides(ctx context.Context, tx pgx.Tx) ([]inventory.RoleSetting, error) {
	rows, err := tx.Query(ctx, `
SELECT coalesce(r.rolname, ''), coalesce(d.datname, ''), s.setconfig
FROM pg_db_role_setting s
LEFT JOIN pg_roles r ON r.oid = s.setrole
LEFT JOIN pg_database d ON d.oid = s.setdatabase
ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("read per-role and per-database settings: %w", err)
	}
	var out []inventory.RoleSetting
	var role, db string
	var config []string
	_, err = pgx.ForEachRow(rows, []any{&role, &db, &config}, func() error {
		for _, kv := range config {
			name, value, _ := strings.Cut(kv, "=")
			out = append(out, inventory.RoleSetting{Role: role, Database: db,
				Name: name, Value: value})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read per-role and per-database settings: %w", err)
	}
	return out, nil
}

// hbaGrants is the SQL that lets a scanner read the pg_hba_file_rules view.
// The view and the function live in each database's own catalog, so the
// grants must be run in the database the scanner connects to first.
func hbaGrants(scanner, db string) string {
	q := quoteIdent(scanner)
	return "in database " + quoteIdent(db) + " (the dsn's): " +
		"GRANT SELECT ON pg_catalog.pg_hba_file_rules TO " + q +
		"; GRANT EXECUTE ON FUNCTION pg_catalog.pg_hba_file_rules() TO " + q + ";"
}

// canReadHBAView reports whether the scanner holds both grants the view
// needs.
func canReadHBAView(ctx context.Context, tx pgx.Tx) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `
SELECT has_table_privilege('pg_catalog.pg_hba_file_rules'::regclass, 'SELECT')
   AND has_function_privilege('pg_catalog.pg_hba_file_rules()'::regprocedure, 'EXECUTE')`).
		Scan(&ok)
	return ok, err
}

// readHBA reads the pg_hba rules from the view, or else from the copy of
// the file named in the source's configuration, or records a gap.
func (c *Connector) readHBA(ctx context.Context, tx pgx.Tx, cl *cluster,
	snap *inventory.Snapshot) {
	s := snap.Postgres
	viewOK, err := canReadHBAView(ctx, tx)
	var viewErr error
	if err == nil && viewOK {
		viewErr = optional(ctx, tx, func(sp pgx.Tx) error {
			s.HBA, err = readHBAView(ctx, sp)
			return err
		})
		if viewErr == nil {
			s.HBAFrom = "view"
			return
		}
		c.log.Warn("pg_hba_file_rules could not be read", "err", viewErr)
	}

	if c.hbaFile != "" {
		rules, notes, err := readHBAFile(c.hbaFile)
		if err == nil {
			s.HBA, s.HBAFrom = rules, "file"
			for _, n := range notes {
				snap.Gaps = append(snap.Gaps, inventory.Gap{
					Check: "pg_hba rules", Reason: c.hbaFile + ": " + n,
					Enable: "inline the included rules into the copy ward reads, " +
						"or let the scanner read the view: " + hbaGrants(cl.scanner, c.base.Database),
				})
			}
			return
		}
		snap.Gaps = append(snap.Gaps, inventory.Gap{
			Check:  "pg_hba rules",
			Reason: "the view is not readable by the scanner and the file failed: " + err.Error(),
			Enable: hbaGrants(cl.scanner, c.base.Database) + " Or fix hba_file in ward.yaml.",
		})
		return
	}

	reason := "the scanner may not read pg_hba_file_rules and no hba_file is configured"
	if viewErr != nil {
		reason = "reading pg_hba_file_rules failed: " + viewErr.Error()
	}
	snap.Gaps = append(snap.Gaps, inventory.Gap{
		Check: "pg_hba rules", Reason: reason,
		Enable: hbaGrants(cl.scanner, c.base.Database) +
			" Or set hba_file in ward.yaml to a copy of pg_hba.conf.",
	})
}

func readHBAView(ctx context.Context, tx pgx.Tx) ([]inventory.HBARule, error) {
	rows, err := tx.Query(ctx, `
SELECT line_number, type, database, user_name, address, netmask, auth_method, options,
       error
FROM pg_catalog.pg_hba_file_rules ORDER BY line_number`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (inventory.HBARule, error) {
		var h inventory.HBARule
		var typ, addr, mask, method, herr *string
		err := r.Scan(&h.Line, &typ, &h.Database, &h.User, &addr, &mask, &method,
			&h.Options, &herr)
		h.Type, h.Address, h.Netmask = deref(typ), deref(addr), deref(mask)
		h.Method, h.Error = deref(method), deref(herr)
		return h, err
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// readHBAFile parses a copy of pg_hba.conf. The notes say what the parser
// did not follow (include directives).
func readHBAFile(path string) ([]inventory.HBARule, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open hba file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxHBAFile+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read hba file %s: %w", path, err)
	}
	if len(b) > maxHBAFile {
		return nil, nil, fmt.Errorf("hba file %s is larger than %d bytes", path, maxHBAFile)
	}
	parsed := hba.Parse(b)
	return parsed.Rules, parsed.Notes, nil
}

// readScannerPrivileges records the roles and grants of the scanner login
// and warns when it holds more than it needs.
func (c *Connector) readScannerPrivileges(ctx context.Context, tx pgx.Tx, cl *cluster,
	snap *inventory.Snapshot) error {
	snap.Scanner = cl.scanner
	if cl.scannerSU {
		// A superuser is a member of every role and passes every check, so
		// there is nothing more to list.
		snap.ScannerPrivileges = []string{"superuser (WARNING: works, but far more than " +
			"the scan needs; use the role in docs/scanner-role.md)"}
		c.log.Warn("the scanner logs in as a superuser; a minimal role is enough",
			"scanner", cl.scanner)
		return nil
	}

	var privs []string

	rows, err := tx.Query(ctx, `
SELECT r.rolname, pg_has_role(current_user, r.oid, 'USAGE')
FROM pg_roles r
WHERE r.rolname <> current_user AND pg_has_role(current_user, r.oid, 'MEMBER')
ORDER BY r.rolname`)
	if err != nil {
		return fmt.Errorf("read scanner memberships: %w", err)
	}
	var role string
	var inherits bool
	_, err = pgx.ForEachRow(rows, []any{&role, &inherits}, func() error {
		p := "member of " + role
		if !inherits {
			p += " (SET ROLE only)"
		}
		privs = append(privs, p)
		if slices.Contains(c.dangerous, role) {
			c.log.Warn("the scanner holds a dangerous role it does not need",
				"scanner", cl.scanner, "role", role)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read scanner memberships: %w", err)
	}

	view, err := canReadHBAView(ctx, tx)
	if err != nil {
		return fmt.Errorf("check pg_hba_file_rules access: %w", err)
	}
	if view {
		privs = append(privs, "SELECT on pg_hba_file_rules and EXECUTE on pg_hba_file_rules()")
	}
	snap.ScannerPrivileges = privs
	return nil
}

// quoteIdent quotes a role or database name for SQL shown to the user.
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }
