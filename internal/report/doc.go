// Package report writes the reports of one ward scan
// (inventory.ScanResult): a summary for the terminal (WriteText), a JSON
// document for machines (WriteJSON), a SARIF 2.1.0 log for code-scanning
// tools (WriteSARIF), a CSV of the findings for spreadsheets (WriteCSV) and
// a self-contained HTML page for people and auditors (WriteHTML). Writer
// looks a machine format up by name. It also writes what the commands
// that read the store show: findings, the inventory and one account.
//
// Every writer leaves its ScanResult untouched and orders what it writes
// the same way on every run, so that two reports of the same estate diff
// cleanly.
//
// # JSON contract
//
// WriteJSON writes one object, indented with two spaces and ending in a
// newline. SCHEMA.md in this directory describes every field; this is the
// same contract in brief. Rules that hold throughout:
//
//   - Arrays are never null: an empty array is written as []. A member
//     marked "omitted when empty" below is left out rather than null.
//   - Times are strings in UTC in RFC 3339 form ("2025-03-14T14:30:00Z",
//     with a fraction of a second only when there is one), or null when
//     unknown.
//   - Strings are never null; an unknown or absent text is "".
//   - Added fields do not change scan.schema_version; removing, renaming or
//     changing the meaning of a field does.
//
// The top level has exactly three members:
//
//	{"scan": {...}, "accounts": [...], "findings": [...]}
//
// scan describes the run:
//
//	schema_version  number  version of this contract (SchemaVersion)
//	id              string  scan ID
//	started_at      time    when the scan began
//	finished_at     time    when it ended
//	ward_version    string  version of ward that ran it
//	config_path     string  configuration file used
//	config_hash     string  SHA-256 of that file, hex
//	partial         bool    true when any source is not complete
//	counts          object  findings by severity: total, critical, high,
//	                        medium, low, info, and suppressed (those under
//	                        a suppression that applies); numbers, all
//	                        always present
//	sources         array   one object per source, sorted by name
//	changes         object  what changed in each source since its previous
//	                        scan (SCHEMA.md), or null before the scan was
//	                        stored and compared
//
// A source:
//
//	name, type          string  as configured ("ehr", "postgres")
//	status              string  "complete", "partial" or "failed"
//	error               string  why it is partial or failed, "" otherwise
//	started_at          time    null when the source failed
//	finished_at         time    null when the source failed
//	scanner             string  login ward used
//	scanner_privileges  array   of strings, the roles and grants that
//	                            login holds, sorted
//	databases           array   {name, scanned, reason}, sorted by name;
//	                            reason says why a database was skipped
//	gaps                array   {check, reason, enable}: a check that could
//	                            not run, why, and the grant that enables it;
//	                            sorted by check
//	unchecked_rules     array   of strings, rules that could not be
//	                            evaluated for lack of data, sorted; their
//	                            earlier findings are not resolved
//	settings            object  the source's security settings as
//	                            collected, one member per server kind:
//	                            "postgres" holds inventory.PGSettings
//	                            (hba rules included; they hold no secret)
//
// accounts holds inventory.Account values sorted by id, each marshalled as
// that type defines: id, source, name, kind ("service", "human",
// "unknown"), kind_reasons, owner, purpose (omitted when empty), attributes,
// memberships and grants. A grant is {privilege, resource, resource_type,
// phi, via} plus path, set_role_only and grantable when set; resource is
// "database", "database.schema", "database.schema.table" or
// "database.schema.table.column". Grants are sorted by resource, then
// privilege, then via.
//
// findings are sorted by severity (critical first), then rule_id, then
// account_id, then resource, then source and fingerprint. A finding:
//
//	fingerprint  string  stable identity across scans
//	rule_id      string  the rule that produced it
//	severity     string  critical, high, medium, low or info
//	title        string  one-line summary
//	source       string  source name
//	account_id   string  the account, "" for a finding about the source
//	resource     string  what it is about, "" when the account itself
//	phi          bool    true when it touches PHI
//	evidence     array   of strings, in the rule's order
//	citations    array   of strings, HIPAA citations ("HIPAA 164.312(b)")
//	controls     array   of strings, NIST SP 800-53 controls ("AC-6")
//	remediation  string  what to do
//	fix          object  {language, apply, rollback, notes}, or null when
//	                     the rule has no ready fix; absent parts are ""
//	first_seen   time    null until the finding is tracked in the store
//	last_seen    time    null until the finding is tracked in the store
//	suppression  object  {reason, until (YYYY-MM-DD), by, origin ("config"
//	                     or "command"), created_at, expired}, or null when
//	                     no suppression names the finding
//
// Findings never carry secrets; the report adds none.
package report
