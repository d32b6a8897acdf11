// Package pglog turns PostgreSQL server logs (stderr with any
// log_line_prefix, csvlog, jsonlog) and the pgaudit records inside them into
// events, one streaming pass per file, with bounded memory.
//
// Every record is joined to its session's connection line, so events carry
// the login user even where the log line does not (pgaudit rows, stderr with
// a bare prefix). Credentials written to the log (role passwords, user
// mapping passwords, connection strings) are redacted before any text
// leaves the parser, and each one is reported as an Exposure naming the
// account whose credential must be rotated.
package pglog
