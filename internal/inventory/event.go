package inventory

import "time"

// Action is what an event records an account doing.
type Action string

// The actions of an event.
const (
	// ActionConnect is a successful login ("connection authorized").
	ActionConnect Action = "connect"
	// ActionAuthenticated is the identity check of a login that passed
	// ("connection authenticated"); it precedes ActionConnect and names
	// the authentication method.
	ActionAuthenticated Action = "authenticated"
	// ActionDisconnect is the end of a session.
	ActionDisconnect Action = "disconnect"
	// ActionAuthFailed is a refused login: a wrong password, an unknown
	// role, a pg_hba.conf rejection.
	ActionAuthFailed Action = "auth_failed"
	// ActionStatement is a statement logged by the server itself
	// (log_statement, log_min_duration_statement, execute lines) or a
	// statement that failed with an error.
	ActionStatement Action = "statement"
	// ActionAudit is an audit record (pgaudit SESSION or OBJECT row).
	ActionAudit Action = "audit"
	// ActionError is a failure of a session that names no statement, such
	// as a login to a database that does not exist.
	ActionError Action = "error"
)

// Outcome says whether the action succeeded.
type Outcome string

// The outcomes of an event.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
)

// Position locates a log record without copying it: the file as the
// caller named it, the byte offset of the record's first byte (in the
// decompressed stream for a compressed file) and its 1-based line number.
type Position struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Line   int64  `json:"line"`
}

// AuditFields are the fields of an audit record (pgaudit) beyond those an
// Event carries for every action. The zero value means "not an audit record".
type AuditFields struct {
	// Type is SESSION or OBJECT.
	Type string `json:"type"`
	// StatementID counts the backend's statements; it restarts in every session.
	StatementID int64 `json:"statement_id"`
	// SubstatementID is above 1 for statements run inside functions or DO blocks.
	SubstatementID int64 `json:"substatement_id"`
	// Class is READ, WRITE, FUNCTION, ROLE, DDL, MISC or MISC_SET.
	Class string `json:"class"`
	// Parameter is the bind parameters as pgaudit wrote them, "<not
	// logged>" or "<none>", with any credential redacted.
	Parameter string `json:"parameter,omitempty"`
	// Rows is the row count (pgaudit.log_rows); HasRows says it was logged.
	Rows    int64 `json:"rows,omitempty"`
	HasRows bool  `json:"has_rows,omitempty"`
	// PreviouslyLogged is true when pgaudit.log_statement_once left the
	// statement out because an earlier row of the same statement has it.
	PreviouslyLogged bool `json:"previously_logged,omitempty"`
}

// Event is one observed action of an account, parsed from a log. It never
// holds a secret: statement, message and parameter text are redacted before
// an Event is built.
type Event struct {
	// Time is when the server wrote the record, in UTC.
	Time time.Time `json:"time"`
	// Source is the configured source the log belongs to, set by the caller.
	Source string `json:"source"`
	// User is the login user of the session (not a role taken with SET ROLE).
	User     string `json:"user"`
	Database string `json:"database"`
	Action   Action `json:"action"`
	// Command is the statement's command tag, such as SELECT, INSERT or
	// ALTER ROLE.
	Command string `json:"command,omitempty"`
	// ObjectType and ObjectName name the object acted on, when the log says
	// ("TABLE", "clinical.patient").
	ObjectType string  `json:"object_type,omitempty"`
	ObjectName string  `json:"object_name,omitempty"`
	Outcome    Outcome `json:"outcome"`
	// SQLState is the error code of a failure, when the log carries it.
	SQLState string `json:"sqlstate,omitempty"`
	// Message is the server's error text for a failure, redacted.
	Message string `json:"message,omitempty"`
	// Detail is the DETAIL text of a failure, redacted.
	Detail      string `json:"detail,omitempty"`
	ClientAddr  string `json:"client_addr,omitempty"`
	ClientPort  int    `json:"client_port,omitempty"`
	Application string `json:"application,omitempty"`
	// ViaPooler says the session came through a connection pooler on the
	// server's side (PgBouncer, Pgpool-II…), set by ward ingest from the
	// source's configuration: ClientAddr is then the pooler's address, not
	// the client's.
	ViaPooler bool `json:"via_pooler,omitempty"`
	// SessionID identifies the session; SessionDerived says ward computed
	// it (from the backend start time and pid) because the log lacks it.
	SessionID      string `json:"session_id,omitempty"`
	SessionDerived bool   `json:"session_derived,omitempty"`
	// SessionLine is the record's number within its session, 0 if unknown.
	SessionLine int64 `json:"session_line,omitempty"`
	PID         int   `json:"pid,omitempty"`
	// Replication is true for a replication connection.
	Replication bool `json:"replication,omitempty"`
	// AuthMethod and Identity come from "connection authenticated"
	// ("scram-sha-256", "md5"); they describe pg_hba.conf, not the protocol.
	AuthMethod string `json:"auth_method,omitempty"`
	Identity   string `json:"identity,omitempty"`
	// Statement is the redacted statement text, cut at 64 KiB (on a
	// character boundary) when StatementTruncated is set.
	Statement          string `json:"statement,omitempty"`
	StatementTruncated bool   `json:"statement_truncated,omitempty"`
	// StatementSHA256 is the hex SHA-256 of the whole redacted statement,
	// before any cut. For a pgaudit row whose statement was "<previously
	// logged>" it is the hash of the earlier row's statement, when seen.
	StatementSHA256 string `json:"statement_sha256,omitempty"`
	// Parameters are the bind parameters of an extended-protocol
	// statement ("$1 = '2'"), redacted.
	Parameters string `json:"parameters,omitempty"`
	// DurationMS is the statement's duration, when logged.
	DurationMS float64     `json:"duration_ms,omitempty"`
	Audit      AuditFields `json:"audit,omitzero"`
	// Pos points at the record in its file; the raw line is not kept.
	Pos Position `json:"pos"`
}

// ExposureKind says what sort of credential a log exposed.
type ExposureKind string

// The kinds of exposed credential.
const (
	// ExposureRolePassword is a password in CREATE/ALTER ROLE|USER|GROUP.
	ExposureRolePassword ExposureKind = "role_password"
	// ExposureUserMapping is a password in a CREATE/ALTER USER MAPPING.
	ExposureUserMapping ExposureKind = "user_mapping"
	// ExposureDSN is a password=… in a keyword/value connection string.
	ExposureDSN ExposureKind = "dsn"
	// ExposureURI is the password of a postgres://user:password@host URI.
	ExposureURI ExposureKind = "uri"
	// ExposurePassword is a password-like value whose owner the text does
	// not name.
	ExposurePassword ExposureKind = "password"
)

// Exposure records that a log held a credential in clear text. It says
// whose credential it was and where, never the credential itself. A
// credential written to a log must be rotated.
type Exposure struct {
	Kind ExposureKind `json:"kind"`
	// Account is the native name of the account whose credential leaked:
	// the role of ALTER ROLE x PASSWORD, the local user of a user mapping,
	// the user of a connection string. Empty when the text does not say.
	Account string `json:"account,omitempty"`
	// Server is the foreign server of a user mapping.
	Server string `json:"server,omitempty"`
	// RemoteUser is the remote login of a user mapping, when given.
	RemoteUser string `json:"remote_user,omitempty"`
	// Host is the host of a connection string or URI.
	Host string `json:"host,omitempty"`
	// Command is the command that carried the credential ("ALTER ROLE").
	Command string `json:"command,omitempty"`
	// Verifier is true when the value was a stored password verifier
	// (SCRAM or md5 hash), not the password itself; it still must be
	// rotated, as a verifier allows offline guessing or, for md5, login.
	Verifier bool `json:"verifier,omitempty"`
	// Field is where in the record the credential was: statement,
	// message, detail, parameter, context, query.
	Field string `json:"field"`
	// Source, Time, SessionUser, Database, SessionID and ClientAddr describe
	// the record and the session that wrote the credential.
	Source      string    `json:"source"`
	Time        time.Time `json:"time"`
	SessionUser string    `json:"session_user,omitempty"`
	Database    string    `json:"database,omitempty"`
	SessionID   string    `json:"session_id,omitempty"`
	ClientAddr  string    `json:"client_addr,omitempty"`
	Application string    `json:"application,omitempty"`
	Pos         Position  `json:"pos"`
}
