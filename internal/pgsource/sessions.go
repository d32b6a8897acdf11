package pgsource

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wardsec/ward/internal/inventory"
)

// sessionsQuery lists the open sessions other than the scanner's own.
// It never selects the statement text column.
//
// Without pg_read_all_stats, PostgreSQL still shows every role the user,
// database and application name of other roles' sessions, but hides
// their backend type, client address and start time. Those rows are kept
// when they belong to a role and a database, which drops background
// workers (no role) and the logical replication launcher (no database).
// A session stays listed after its role was given NOLOGIN or an expired
// VALID UNTIL, since neither ends an open session (edge 10).
const sessionsQuery = `
SELECT coalesce(usename::text, '[role ' || usesysid || ']'), coalesce(datname::text, ''),
       coalesce(application_name, ''), coalesce(host(client_addr), ''), backend_start
FROM pg_stat_activity
WHERE pid <> pg_backend_pid() AND usesysid IS NOT NULL
  AND (backend_type IN ('client backend', 'walsender')
       OR (backend_type IS NULL AND datid IS NOT NULL))
ORDER BY backend_start NULLS LAST, pid`

// readSessions lists the open client sessions other than the scanner's
// own. Every scanner sees whose sessions are open on which database and
// under which application name; only with pg_read_all_stats does it see
// client addresses and start times (Started is zero when hidden), and the
// lack is reported as a gap.
func (c *Connector) readSessions(ctx context.Context, tx pgx.Tx, cl *cluster,
	snap *inventory.Snapshot) error {
	var allStats bool
	err := tx.QueryRow(ctx,
		`SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')`).Scan(&allStats)
	if err != nil {
		return fmt.Errorf("check pg_read_all_stats: %w", err)
	}
	if !allStats && !cl.scannerSU {
		snap.Gaps = append(snap.Gaps, inventory.Gap{
			Check: "open sessions",
			Reason: "other users' client addresses and start times in pg_stat_activity " +
				"are hidden from the scanner; their users, databases and application " +
				"names are still listed",
			Enable: "GRANT pg_read_all_stats TO " + quoteIdent(cl.scanner) + "; WARNING: " +
				"pg_read_all_stats also exposes pg_stat_statements query text, which on " +
				"PostgreSQL 15 holds passwords of ALTER/CREATE ROLE statements in clear",
		})
	}

	err = optional(ctx, tx, func(sp pgx.Tx) error {
		rows, err := sp.Query(ctx, sessionsQuery)
		if err != nil {
			return err
		}
		var se inventory.Session
		var started pgtype.Timestamptz
		_, err = pgx.ForEachRow(rows, []any{&se.User, &se.Database, &se.Application,
			&se.ClientAddr, &started}, func() error {
			se.Started = time.Time{}
			if started.Valid && started.InfinityModifier == pgtype.Finite {
				se.Started = started.Time.UTC()
			}
			snap.Sessions = append(snap.Sessions, se)
			return nil
		})
		return err
	})
	if err != nil {
		snap.Sessions = nil
		snap.Gaps = append(snap.Gaps, inventory.Gap{
			Check:  "open sessions",
			Reason: "reading pg_stat_activity failed: " + c.scrub(err.Error()),
			Enable: "check the scanner's statement timeout and retry",
		})
	}
	return nil
}
