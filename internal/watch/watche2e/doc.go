// Package watche2e holds the end-to-end test of `ward watch`: the ward
// command, run as a child process, follows the csvlog of a real
// PostgreSQL server (internal/pgtest) and alerts on a service account used
// from psql; SIGTERM stops it with its state saved, and a restart neither
// repeats nor loses an alert. It has no code besides the test.
package watche2e
