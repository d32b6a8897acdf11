// Package usage derives what the accounts of one source actually did from
// the events parsed out of its logs: for each account, object and privilege
// the first use, last use and number of uses; successful and failed logins;
// the programs (application_name) and client addresses it came from; its
// activity by hour of day; and its volume. For the source as a whole it
// records the observation window: the earliest and latest event and the
// gaps in between.
//
// Least privilege is what an account is granted minus what it used, and
// that difference means nothing without the window it was measured over:
// a monthly job that has not run inside the window has not shown its use.
// So every answer built from a Usage states its window.
//
// # Attribution
//
// PostgreSQL writes the login user on every line, and the parser joins
// pgaudit rows (which carry no user) to their session's login. A session
// that runs SET ROLE keeps its login user in the log: what it does after
// the SET ROLE is counted for the login account, which is the account whose
// credential was used.
//
// ward's own scanner sessions (application_name "ward-scanner") are left out
// of the accounts, but still count towards the window: they show that the
// log was being written. application_name is chosen by the client, so when
// Options.ScannerUsers is set only those logins are left out.
//
// # Privileges
//
// Privileges are read from pgaudit rows (classes READ, WRITE, DDL,
// FUNCTION, ROLE, MISC): READ rows use SELECT on their relation, WRITE rows
// use the privilege of their command (INSERT, UPDATE, DELETE, TRUNCATE;
// COPY FROM uses INSERT, MERGE all three, SELECT ... FOR UPDATE uses
// UPDATE), DDL rows that create an object in a schema use CREATE on that
// schema and CREATE SCHEMA uses CREATE on the database. Other rows are
// kept as commands run on their object (ALTER TABLE, GRANT, CREATE ROLE).
// An OBJECT row and the SESSION row of the same statement count once.
// Statements refused for lack of privilege are kept apart, as denied.
//
// The package keeps no statement text, so a Usage holds no secret and no
// PHI value.
package usage
