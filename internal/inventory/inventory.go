// Package inventory holds the shared vocabulary of ward: accounts, grants,
// source settings, findings and the small interfaces that connectors and
// reporters implement. It depends on nothing but the standard library, so
// every other package can import it without pulling in drivers.
package inventory

import (
	"context"
	"time"
)

// Kind says whether an account is used by software, by a person, or ward
// cannot tell.
type Kind string

// The kinds of account.
const (
	KindService Kind = "service"
	KindHuman   Kind = "human"
	KindUnknown Kind = "unknown"
)

// Account is one identity in one source. Its ID is the source name, a slash,
// then the native name verbatim ("ehr/etl_loader").
type Account struct {
	ID          string       `json:"id"`
	Source      string       `json:"source"`
	Name        string       `json:"name"`
	Kind        Kind         `json:"kind"`
	KindReasons []string     `json:"kind_reasons"`
	Owner       string       `json:"owner"`
	Purpose     string       `json:"purpose,omitempty"`
	Attributes  Attributes   `json:"attributes"`
	Memberships []Membership `json:"memberships"`
	Grants      []Grant      `json:"grants"`
}

// AccountID builds the stable ID of an account from its source and native name.
func AccountID(source, name string) string { return source + "/" + name }

// Attributes are the properties of an account that decide what it can do
// beyond its grants. Fields a source does not have stay at their zero value.
type Attributes struct {
	CanLogin    bool `json:"can_login"`
	Superuser   bool `json:"superuser"`
	CreateRole  bool `json:"createrole"`
	CreateDB    bool `json:"createdb"`
	Replication bool `json:"replication"`
	BypassRLS   bool `json:"bypassrls"`
	Inherit     bool `json:"inherit"`
	// ConnLimit is the connection limit; -1 means no limit.
	ConnLimit int `json:"connection_limit"`
	// ValidUntil is when the password stops being accepted; nil means never.
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	// Config holds per-role settings such as "pgaudit.log=none".
	Config []string `json:"config,omitempty"`
	// Comment is the role's COMMENT, if any.
	Comment string `json:"comment,omitempty"`
	// Bootstrap is true for the cluster's bootstrap superuser.
	Bootstrap bool `json:"bootstrap,omitempty"`
	// DangerousRoles lists the predefined or cloud roles with sweeping
	// powers that the account holds, directly or through other roles.
	DangerousRoles []string `json:"dangerous_roles,omitempty"`
}

// Membership is one role that an account belongs to, directly or through
// a chain of roles.
type Membership struct {
	Role string `json:"role"`
	// Path lists the roles from the account's direct parent to Role.
	Path []string `json:"path"`
	// Inherit is true when the account holds Role's privileges without SET ROLE.
	Inherit bool `json:"inherit"`
	// Admin is true when the direct membership carries ADMIN OPTION.
	Admin bool `json:"admin"`
}

// Via values for a Grant, besides a role chain.
const (
	ViaDirect = "direct"
	ViaOwner  = "owner"
	ViaPublic = "PUBLIC"
)

// Grant is one privilege of an account on one resource, with the path that
// gives it.
type Grant struct {
	Privilege string `json:"privilege"`
	// Resource is "database", "database.schema", "database.schema.table" or
	// "database.schema.table.column".
	Resource string `json:"resource"`
	// ResourceType is database, schema, table, view, sequence, column, function…
	ResourceType string `json:"resource_type"`
	PHI          bool   `json:"phi"`
	// Via is "direct", "owner", "PUBLIC", or the name of the role the
	// privilege comes from; Path then holds the chain of roles to it.
	Via  string   `json:"via"`
	Path []string `json:"path,omitempty"`
	// SetRoleOnly is true when the privilege is reachable only after SET ROLE
	// (through a NOINHERIT membership), not held directly.
	SetRoleOnly bool `json:"set_role_only,omitempty"`
	Grantable   bool `json:"grantable,omitempty"`
}

// Resource is an object in a source that ward knows about, used for PHI
// marking and for the report's scope.
type Resource struct {
	// Name is "database.schema.table" or "database.schema.table.column".
	Name string `json:"name"`
	Type string `json:"type"`
	// Owner is the native name of the owning role.
	Owner string `json:"owner,omitempty"`
	PHI   bool   `json:"phi"`
	// PHIReason says which pattern marked it.
	PHIReason string `json:"phi_reason,omitempty"`
	// RLS is true when row-level security is enabled on a table.
	RLS bool `json:"rls,omitempty"`
	// ForceRLS is true when FORCE ROW LEVEL SECURITY also binds the owner.
	ForceRLS bool `json:"force_rls,omitempty"`
	// Policies names the row-level security policies of a table.
	Policies []string `json:"policies,omitempty"`
}

// Function is a function or procedure of a source, with what makes it
// dangerous: SECURITY DEFINER lends its owner's rights to whoever may
// execute it.
type Function struct {
	// Name is "database.schema.name(argument types)".
	Name            string `json:"name"`
	Owner           string `json:"owner"`
	OwnerSuperuser  bool   `json:"owner_superuser"`
	SecurityDefiner bool   `json:"security_definer"`
	// SearchPathPinned is true when the function sets its own search_path.
	SearchPathPinned bool   `json:"search_path_pinned"`
	Language         string `json:"language,omitempty"`
	// Extension names the extension the function belongs to, empty for
	// functions created directly.
	Extension string `json:"extension,omitempty"`
	// Executors lists the roles that hold EXECUTE directly, "PUBLIC"
	// included, from the ACL (or the default ACL when it is NULL).
	Executors []string `json:"executors"`
}

// DefaultPrivilege is one entry of ALTER DEFAULT PRIVILEGES: objects of
// ObjectType later created by ForRole (in Schema, or anywhere when empty)
// get Privileges for Grantee ("PUBLIC" for everyone).
type DefaultPrivilege struct {
	Database   string   `json:"database"`
	ForRole    string   `json:"for_role"`
	Schema     string   `json:"schema,omitempty"`
	ObjectType string   `json:"object_type"`
	Grantee    string   `json:"grantee"`
	Privileges []string `json:"privileges"`
}

// HBARule is one line of pg_hba.conf.
type HBARule struct {
	Line     int      `json:"line"`
	Type     string   `json:"type"`
	Database []string `json:"database"`
	User     []string `json:"user"`
	Address  string   `json:"address,omitempty"`
	Netmask  string   `json:"netmask,omitempty"`
	Method   string   `json:"method"`
	Options  []string `json:"options,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// RoleSetting is a per-role or per-database override of a server setting.
type RoleSetting struct {
	Role     string `json:"role,omitempty"`
	Database string `json:"database,omitempty"`
	Name     string `json:"name"`
	Value    string `json:"value"`
}

// PGSettings are the security settings of a PostgreSQL server.
type PGSettings struct {
	ServerVersion      string            `json:"server_version"`
	ServerVersionNum   int               `json:"server_version_num"`
	PasswordEncryption string            `json:"password_encryption"`
	SSL                string            `json:"ssl"`
	LogConnections     string            `json:"log_connections"`
	LogDisconnections  string            `json:"log_disconnections,omitempty"`
	PreloadLibraries   string            `json:"shared_preload_libraries,omitempty"`
	PgauditLoaded      bool              `json:"pgaudit_loaded"`
	PgauditLog         string            `json:"pgaudit_log"`
	Other              map[string]string `json:"other,omitempty"`
	Overrides          []RoleSetting     `json:"overrides,omitempty"`
	// HBA is nil when the rules could not be read; HBAFrom then is empty.
	HBA     []HBARule `json:"hba,omitempty"`
	HBAFrom string    `json:"hba_from,omitempty"`
}

// DatabaseCoverage records whether one database of a source was scanned.
type DatabaseCoverage struct {
	Name    string `json:"name"`
	Scanned bool   `json:"scanned"`
	Reason  string `json:"reason,omitempty"`
}

// Gap is a check that could not run, and what would let it run.
type Gap struct {
	Check  string `json:"check"`
	Reason string `json:"reason"`
	Enable string `json:"enable"`
}

// Snapshot is what a connector returns for one source.
type Snapshot struct {
	Source     string    `json:"source"`
	Type       string    `json:"type"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Scanner    string    `json:"scanner"`
	// ScannerPrivileges lists the roles and grants the scanner login holds.
	ScannerPrivileges []string           `json:"scanner_privileges"`
	Accounts          []Account          `json:"accounts"`
	Resources         []Resource         `json:"resources"`
	Postgres          *PGSettings        `json:"postgres,omitempty"`
	Databases         []DatabaseCoverage `json:"databases"`
	Gaps              []Gap              `json:"gaps"`
	// Sessions are open sessions seen at scan time, when readable.
	Sessions []Session `json:"sessions,omitempty"`
	// Functions are the functions of user schemas.
	Functions []Function `json:"functions,omitempty"`
	// DefaultPrivileges are the ALTER DEFAULT PRIVILEGES entries.
	DefaultPrivileges []DefaultPrivilege `json:"default_privileges,omitempty"`
	// PublicGrants are the privileges PUBLIC holds, so every role holds
	// them. Built-in defaults (CONNECT and TEMPORARY on databases, EXECUTE
	// on functions, USAGE on the public schema) are kept here once rather
	// than copied into every account's grants.
	PublicGrants []Grant `json:"public_grants,omitempty"`
}

// Complete reports whether every database of the snapshot was scanned.
func (s *Snapshot) Complete() bool {
	for _, d := range s.Databases {
		if !d.Scanned {
			return false
		}
	}
	return true
}

// Session is an open connection seen at scan time.
type Session struct {
	// PID is the server process of the session, 0 when not read.
	PID         int       `json:"pid,omitempty"`
	User        string    `json:"user"`
	Database    string    `json:"database"`
	Application string    `json:"application"`
	ClientAddr  string    `json:"client_addr"`
	Started     time.Time `json:"started"`
}

// Connector discovers the accounts, grants and settings of one source. It
// only reads. An error means nothing usable was collected; a partial result
// is returned as a Snapshot whose Databases or Gaps say what is missing.
type Connector interface {
	Scan(ctx context.Context) (*Snapshot, error)
}
