package pgsource

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wardsec/ward/internal/inventory"
)

// scan is the state of one Scan call.
type scan struct {
	snap    *inventory.Snapshot
	cluster *cluster
	graph   *roleGraph
	// accounts are the OIDs of the login roles, in name order.
	accounts []uint32
	// batches are the objects read so far, by database, whose grants
	// are computed once every database is read.
	batches []aclBatch
	// resources are the tables and columns read so far, by database;
	// they are joined into one slice of the exact size at the end.
	resources [][]inventory.Resource
}

// Scan reads the source. It returns an error only when the first database
// cannot be connected to or its shared catalogs cannot be read; every
// other failure is recorded in the snapshot's Databases or Gaps.
func (c *Connector) Scan(ctx context.Context) (*inventory.Snapshot, error) {
	s := &scan{
		snap: &inventory.Snapshot{
			Source:    c.name,
			Type:      SourceType,
			StartedAt: time.Now().UTC(),
			Gaps:      []inventory.Gap{},
		},
	}

	primary := c.base.Database
	c.log.Info("scanning", "database", primary)
	conn, err := c.connect(ctx, primary)
	if err != nil {
		return nil, err
	}
	err = c.inReadOnlyTx(ctx, conn, primary, func(tx pgx.Tx) error {
		return c.scanPrimary(ctx, tx, s)
	})
	conn.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fmt.Errorf("source %s: database %s: %w", c.name, primary, err)
	}

	for _, db := range s.cluster.databases {
		if db.name == primary {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("source %s: %w", c.name, err)
		}
		if c.beforeDatabase != nil {
			if err := c.beforeDatabase(ctx, db.name); err != nil {
				return nil, fmt.Errorf("source %s: %w", c.name, err)
			}
		}
		c.scanOther(ctx, s, db)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("source %s: %w", c.name, err)
	}

	grants, public := computeGrants(s.accounts, s.batches)
	s.batches = nil
	s.snap.PublicGrants = public
	s.sortResults()
	s.snap.Accounts = s.buildAccounts(grants, c.dangerousRoles(s.cluster.roles))
	s.snap.FinishedAt = time.Now().UTC()
	return s.snap, nil
}

// scanPrimary reads the shared catalogs, the settings and the objects of
// the first database, all in one transaction.
func (c *Connector) scanPrimary(ctx context.Context, tx pgx.Tx, s *scan) error {
	cl, err := readCluster(ctx, tx)
	if err != nil {
		return err
	}
	s.cluster = cl
	s.graph = newRoleGraph(cl.versionNum, cl.roles, cl.members)
	for _, r := range cl.roles {
		if r.CanLogin {
			s.accounts = append(s.accounts, r.OID)
		}
	}
	c.log.Debug("read shared catalogs", "version", cl.version, "roles", len(cl.roles),
		"databases", len(cl.databases))

	if err := c.readScannerPrivileges(ctx, tx, cl, s.snap); err != nil {
		return err
	}
	if err := c.readSettings(ctx, tx, cl, s.snap); err != nil {
		return err
	}
	c.readHBA(ctx, tx, cl, s.snap)
	if err := c.readSessions(ctx, tx, cl, s.snap); err != nil {
		return err
	}

	primary := c.base.Database
	db, ok := s.database(primary)
	if !ok {
		// A template or a database that refuses connections: its objects
		// are still read, since the scanner is connected to it.
		db = database{name: primary}
	}
	c.record(s, db, readObjects(ctx, tx, s.scope(db)))
	return nil
}

// scanOther scans one more database on its own connection, recording
// why when it cannot.
func (c *Connector) scanOther(ctx context.Context, s *scan, db database) {
	if db.canConnect != nil && !*db.canConnect && !s.cluster.scannerSU {
		s.notScanned(db, "the scanner has no CONNECT privilege on this database",
			fmt.Sprintf("GRANT CONNECT ON DATABASE %s TO %s;", quoteIdent(db.name),
				quoteIdent(s.cluster.scanner)))
		return
	}

	c.log.Info("scanning", "database", db.name)
	conn, err := c.connect(ctx, db.name)
	if err != nil {
		var ce *ConnectError
		if errors.As(err, &ce) {
			s.notScanned(db, ce.Reason, ce.Hint)
		} else {
			s.notScanned(db, err.Error(), "")
		}
		c.log.Warn("database not scanned", "database", db.name, "err", err)
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var objs *dbObjects
	err = c.inReadOnlyTx(ctx, conn, db.name, func(tx pgx.Tx) error {
		objs = readObjects(ctx, tx, s.scope(db))
		return nil
	})
	if err != nil {
		s.notScanned(db, c.scrub(err.Error()), hintFor(err))
		c.log.Warn("database not scanned", "database", db.name, "err", err)
		return
	}
	c.record(s, db, objs)
}

// record adds what was read of one database to the scan, and its
// coverage: scanned when every catalog read succeeded; otherwise not
// scanned, with a reason naming the parts that are missing and one gap
// per failed read. What was read is kept either way, so the snapshot
// holds exactly what the scan saw.
func (c *Connector) record(s *scan, db database, objs *dbObjects) {
	s.add(db, objs)
	if len(objs.failed) == 0 {
		s.snap.Databases = append(s.snap.Databases, inventory.DatabaseCoverage{
			Name: db.name, Scanned: true})
		return
	}
	var missing []string
	for _, f := range objs.failed {
		reason := c.scrub(f.err.Error())
		s.snap.Gaps = append(s.snap.Gaps, inventory.Gap{
			Check:  "database " + db.name + ": " + f.what,
			Reason: reason,
			Enable: stepHint(f.err, db.name, s.cluster.scanner),
		})
		missing = append(missing, f.what)
		c.log.Warn("catalog read failed", "database", db.name, "read", f.what, "err", f.err)
	}
	reason := "partly scanned: " + strings.Join(missing, ", ") + " could not be read " +
		"(see the gaps); the rest was read"
	if len(objs.failed) == len(objectSteps) {
		reason = "not scanned: " + c.scrub(objs.failed[0].err.Error())
	}
	s.snap.Databases = append(s.snap.Databases, inventory.DatabaseCoverage{
		Name: db.name, Reason: reason})
}

// scope is what the readers of db need.
func (s *scan) scope(db database) *dbScope {
	return &dbScope{name: db.name, dba: db.dba, graph: s.graph}
}

// hintFor suggests what to do about a failed catalog read.
func hintFor(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57014":
			return "raise the connector's statement timeout"
		case "55P03":
			return "DDL held a lock on a catalog; re-run the scan later"
		}
	}
	return ""
}

func (s *scan) database(name string) (database, bool) {
	for _, d := range s.cluster.databases {
		if d.name == name {
			return d, true
		}
	}
	return database{}, false
}

// notScanned records a database that could not be scanned, in Databases
// and as a gap. Its database-level grants (CONNECT, TEMPORARY, CREATE)
// are still computed, since pg_database is shared.
func (s *scan) notScanned(db database, reason, fix string) {
	text := reason
	if fix != "" {
		text += "; fix: " + fix
	}
	s.snap.Databases = append(s.snap.Databases, inventory.DatabaseCoverage{
		Name: db.name, Reason: text})
	s.snap.Gaps = append(s.snap.Gaps, inventory.Gap{
		Check: "database " + db.name, Reason: reason, Enable: fix})
	s.add(db, nil)
}

// add keeps what one database gives: its ACLs, with the graph in which
// pg_database_owner stands for its owner, for the grants computed at the
// end of the scan, and its resources, functions and default privileges.
// objs is nil for a database whose objects could not be read; its
// database-level grants still count, since pg_database is shared.
func (s *scan) add(db database, objs *dbObjects) {
	var acl []aclObject
	if entries, ok := s.cluster.databaseACL[db.oid]; ok && db.oid != 0 {
		acl = append(acl, aclObject{Resource: db.name, ResourceType: "database",
			Owner: db.dba, ACL: entries})
	}
	if objs != nil {
		acl = append(acl, objs.acl...)
		s.resources = append(s.resources, objs.resources)
		s.snap.Functions = append(s.snap.Functions, objs.functions...)
		s.snap.DefaultPrivileges = append(s.snap.DefaultPrivileges, objs.defaults...)
	}
	s.batches = append(s.batches, aclBatch{
		graph:   s.graph.withDatabaseOwner(s.cluster.versionNum, db.dba),
		objects: acl,
	})
}

// sortResults puts the lists of the snapshot in name order, so that two
// scans of the same server compare line by line.
func (s *scan) sortResults() {
	s.snap.Resources = slices.Concat(s.resources...)
	s.resources = nil
	slices.SortStableFunc(s.snap.Resources, func(a, b inventory.Resource) int {
		return strings.Compare(a.Name, b.Name)
	})
	slices.SortStableFunc(s.snap.Functions, func(a, b inventory.Function) int {
		return strings.Compare(a.Name, b.Name)
	})
	sortGrants(s.snap.PublicGrants)
}

// dangerousRoles is the embedded list plus every superuser role, since
// SET ROLE to one gives its powers.
func (c *Connector) dangerousRoles(roles []roleRow) map[string]bool {
	out := make(map[string]bool, len(c.dangerous))
	for _, r := range c.dangerous {
		out[r] = true
	}
	for _, r := range roles {
		if r.Super {
			out[r.Name] = true
		}
	}
	return out
}

// buildAccounts turns the login roles into accounts.
func (s *scan) buildAccounts(grants map[uint32][]inventory.Grant,
	dangerous map[string]bool) []inventory.Account {
	out := make([]inventory.Account, 0, len(s.accounts))
	for _, oid := range s.accounts {
		r := s.graph.roles[oid]
		a := inventory.Account{
			ID:          inventory.AccountID(s.snap.Source, r.Name),
			Source:      s.snap.Source,
			Name:        r.Name,
			Kind:        inventory.KindUnknown,
			KindReasons: []string{},
			Attributes:  attributes(r),
			Memberships: []inventory.Membership{},
			Grants:      grants[oid],
		}
		if a.Grants == nil {
			a.Grants = []inventory.Grant{}
		}
		for _, m := range s.graph.memberships(oid) {
			name := s.graph.name(m.role)
			a.Memberships = append(a.Memberships, inventory.Membership{
				Role: name, Path: m.path, Inherit: m.inherit, Admin: m.admin})
			if dangerous[name] {
				a.Attributes.DangerousRoles = append(a.Attributes.DangerousRoles, name)
			}
		}
		sort.Strings(a.Attributes.DangerousRoles)
		a.Attributes.DangerousRoles = slices.Compact(a.Attributes.DangerousRoles)
		out = append(out, a)
	}
	return out
}

func attributes(r *roleRow) inventory.Attributes {
	return inventory.Attributes{
		CanLogin:    r.CanLogin,
		Superuser:   r.Super,
		CreateRole:  r.CreateRole,
		CreateDB:    r.CreateDB,
		Replication: r.Replication,
		BypassRLS:   r.BypassRLS,
		Inherit:     r.Inherit,
		ConnLimit:   r.ConnLimit,
		ValidUntil:  r.ValidUntil,
		Config:      r.Config,
		Comment:     r.Comment,
		Bootstrap:   r.OID == bootstrapOID,
	}
}
