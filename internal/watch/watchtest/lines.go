// Package watchtest writes PostgreSQL log lines (csvlog, and stderr with
// the default prefix) as PostgreSQL 15 with pgaudit writes them, for the
// tests and the latency benchmark of `ward watch`.
package watchtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Line is one log record.
type Line struct {
	Time    time.Time
	User    string
	DB      string
	PID     int
	Addr    string // client address, without port
	Port    int
	Session string // session ID such as 6b12d83e.656d; derived from PID when empty
	// SessionLine is the record's number in its session.
	SessionLine int
	Tag         string // command tag: "authentication", "SELECT"…
	Severity    string // LOG when empty
	SQLState    string // 00000 when empty
	Message     string
	Detail      string
	App         string
}

// SessionID returns the session ID the record carries: Session, or one
// derived from the time and PID as PostgreSQL derives it.
func (l Line) SessionID() string {
	if l.Session != "" {
		return l.Session
	}
	return fmt.Sprintf("%x.%x", l.Time.Unix(), l.PID)
}

// csvQuote quotes a csvlog field; an empty value stays an empty field.
func csvQuote(s string) string {
	if s == "" {
		return ""
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

const csvTime = "2006-01-02 15:04:05.000 MST"

// CSV returns the record as one csvlog line, newline included.
func (l Line) CSV() string {
	sev, state := l.Severity, l.SQLState
	if sev == "" {
		sev = "LOG"
	}
	if state == "" {
		state = "00000"
	}
	from := ""
	if l.Addr != "" {
		from = l.Addr + ":" + strconv.Itoa(l.Port)
	}
	t := l.Time.UTC()
	f := []string{
		t.Format(csvTime), csvQuote(l.User), csvQuote(l.DB), strconv.Itoa(l.PID),
		csvQuote(from), l.SessionID(), strconv.Itoa(l.SessionLine), csvQuote(l.Tag),
		t.Truncate(time.Second).Format("2006-01-02 15:04:05 MST"), "3/1", "0", sev, state,
		csvQuote(l.Message), csvQuote(l.Detail), "", "", "", "", "", "", "",
		csvQuote(l.App), `"client backend"`, "", "0",
	}
	return strings.Join(f, ",") + "\n"
}

// Stderr returns the record as stderr lines with the default
// log_line_prefix ('%m [%p] '), newline included.
func (l Line) Stderr() string {
	sev := l.Severity
	if sev == "" {
		sev = "LOG"
	}
	prefix := l.Time.UTC().Format(csvTime) + " [" + strconv.Itoa(l.PID) + "] "
	out := prefix + sev + ":  " + l.Message + "\n"
	if l.Detail != "" {
		out += prefix + "DETAIL:  " + l.Detail + "\n"
	}
	return out
}

// Connect is the "connection authorized" record of a session.
func Connect(t time.Time, user, db, app, addr string, pid int) Line {
	return Line{Time: t, User: user, DB: db, PID: pid, Addr: addr, Port: 40000 + pid%20000,
		SessionLine: 2, Tag: "authentication", App: app,
		Message: fmt.Sprintf("connection authorized: user=%s database=%s application_name=%s",
			user, db, app)}
}

// Audit is a pgaudit SESSION record of a session.
func Audit(t time.Time, user, db, app, addr string, pid int, class, command, objType,
	objName, statement string) Line {
	stmt := statement
	if strings.ContainsAny(stmt, `,"`) {
		stmt = `"` + strings.ReplaceAll(stmt, `"`, `""`) + `"`
	}
	msg := fmt.Sprintf("AUDIT: SESSION,1,1,%s,%s,%s,%s,%s,<not logged>",
		class, command, objType, objName, stmt)
	return Line{Time: t, User: user, DB: db, PID: pid, Addr: addr, Port: 40000 + pid%20000,
		SessionLine: 3, Tag: command, App: app, Message: msg}
}

// AuthFailed is the FATAL record of a refused password.
func AuthFailed(t time.Time, user, db, addr string, pid int) Line {
	return Line{Time: t, User: user, DB: db, PID: pid, Addr: addr, Port: 40000 + pid%20000,
		SessionLine: 2, Tag: "authentication", Severity: "FATAL", SQLState: "28P01",
		Message: fmt.Sprintf("password authentication failed for user %q", user),
		Detail:  "Connection matched pg_hba.conf line 96: \"host all all samenet scram-sha-256\""}
}
