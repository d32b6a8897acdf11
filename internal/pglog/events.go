package pglog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// Message texts PostgreSQL writes (PostgreSQL 15, lc_messages=C).
const (
	msgReceived      = "connection received: "
	msgAuthenticated = "connection authenticated: "
	msgAuthorized    = "connection authorized: "
	msgReplAuth      = "replication connection authorized: "
	msgDisconnection = "disconnection: "
	msgAudit         = "AUDIT: "
	msgStatement     = "statement: "
	msgDuration      = "duration: "
	msgExecute       = "execute "
	msgParameters    = "parameters: "
	previouslyLogged = "<previously logged>"
)

// handle turns one record into at most one event, joining it to its
// session, and reports every credential in it.
func (p *Parser) handle(rec *record) error {
	p.cur = rec.pos
	if rec.unknownZone {
		p.stats.UnknownZones++
	}
	key, keyed := uint64(0), false
	if len(rec.session) > 0 {
		if string(rec.session) == p.lastSession {
			key, keyed = p.lastKey, true
		} else if key, keyed = sessionKey(rec.session); keyed {
			p.lastSession, p.lastKey = string(rec.session), key
		}
	}
	if !keyed && rec.pid > 0 {
		key, keyed = pidKey(rec.pid), true
	}
	p.hideEchoedSecret(rec)
	msg := rec.message
	sev := string(rec.sev)
	if sev == "LOG" && bytes.HasPrefix(msg, []byte(msgReceived)) {
		if keyed {
			p.received(key, rec)
		}
		return nil
	}
	var st *session
	if keyed {
		st = p.sessions.get(key)
		if st == nil && len(rec.session) > 0 {
			// The session began before this input; remember it from here.
			var evicted int
			st, evicted = p.sessions.open(key)
			p.stats.SessionsEvicted += int64(evicted)
			st.id, _ = validString(rec.session)
		}
	}
	ev := p.base(rec, st)

	emit, end, err := p.classify(&ev, rec, st, key, keyed)
	if err != nil {
		return err
	}
	if st != nil && st.pending != nil && (emit || end) {
		if err := p.flushPending(st, &ev); err != nil {
			return err
		}
	}
	if end && keyed {
		p.sessions.end(key)
	}
	if !emit {
		return nil
	}
	if ev.Action == inventory.ActionAuthenticated && ev.User == "" && st != nil {
		// The stderr line has no user; the authorized line that follows
		// will name it.
		held := ev
		st.pending = &held
		return nil
	}
	return p.emit(ev)
}

// emit sends one event.
func (p *Parser) emit(ev inventory.Event) error {
	if ev.Outcome == "" {
		ev.Outcome = inventory.OutcomeSuccess
	}
	p.stats.Events++
	if p.sink.Event != nil {
		return p.sink.Event(ev)
	}
	return nil
}

// flushPending sends the held "connection authenticated" event of st,
// with the user and database of next, the session's following event.
func (p *Parser) flushPending(st *session, next *inventory.Event) error {
	ev := st.pending
	st.pending = nil
	if ev.User == "" {
		ev.User = next.User
	}
	if ev.Database == "" {
		ev.Database = next.Database
	}
	return p.emit(*ev)
}

// flushAll sends the events still held back at the end of a file: a
// "connection authenticated" line whose session wrote nothing after it.
func (p *Parser) flushAll() error {
	if p.stats.Events == 0 && p.stats.Records == 0 {
		return nil
	}
	for _, st := range p.sessions.m {
		if st.pending != nil {
			ev := *st.pending
			st.pending = nil
			if err := p.emit(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// received opens the session of a "connection received" line.
func (p *Parser) received(key uint64, rec *record) {
	st, evicted := p.sessions.open(key)
	p.stats.SessionsEvicted += int64(evicted)
	st.lines, st.counted = 1, true
	host, port := hostPortFromMessage(rec.message[len(msgReceived):])
	st.host = p.str(firstNonEmpty(rec.host, host))
	st.port = rec.port
	if st.port == 0 {
		st.port = port
	}
	switch {
	case len(rec.session) > 0:
		st.id, _ = validString(rec.session)
	case !rec.start.IsZero():
		st.id, st.derived = derivedID(rec.start.Unix(), rec.pid), true
	case !rec.time.IsZero():
		st.id, st.derived = derivedID(rec.time.Unix(), rec.pid), true
	}
}

// base builds the event fields every action has, from the record and,
// where the record lacks them, from the session.
func (p *Parser) base(rec *record, st *session) inventory.Event {
	ev := inventory.Event{
		Time:        rec.time,
		Source:      p.opts.Source,
		ClientPort:  rec.port,
		SessionLine: rec.line,
		PID:         rec.pid,
		Pos:         rec.pos,
	}
	if st == nil {
		ev.User, ev.Database = p.str(rec.user), p.str(rec.db)
		ev.Application, ev.ClientAddr = p.str(rec.app), p.str(rec.host)
		ev.SessionID = p.str(rec.session)
		return ev
	}
	// Most records repeat what the session already holds.
	ev.User = p.same(rec.user, st.user)
	ev.Database = p.same(rec.db, st.db)
	ev.Application = p.same(rec.app, st.app)
	ev.ClientAddr = p.same(rec.host, st.host)
	ev.SessionID = p.same(rec.session, st.id)
	st.lines++
	if ev.User == "" {
		ev.User = st.user
	}
	if ev.Database == "" {
		ev.Database = st.db
	}
	if ev.Application == "" {
		ev.Application = st.app
	}
	if ev.ClientAddr == "" {
		ev.ClientAddr = st.host
	}
	if ev.ClientPort == 0 {
		ev.ClientPort = st.port
	}
	if ev.SessionID == "" {
		ev.SessionID, ev.SessionDerived = st.id, st.derived
	}
	if ev.SessionLine == 0 && st.counted {
		ev.SessionLine = st.lines
	}
	ev.Replication = st.replication
	return ev
}

// classify sets the action and its fields. emit says whether the record
// is an event; end that it ends its session.
func (p *Parser) classify(ev *inventory.Event, rec *record, st *session, key uint64,
	keyed bool) (emit, end bool, err error) {
	// Fields not turned into event text are still searched for secrets.
	var scanned [4]bool
	emit, end, err = p.classifySev(ev, rec, st, key, keyed, &scanned)
	if err == nil {
		err = p.scanRest(ev, rec, scanned)
	}
	return emit, end, err
}

// classifySev classifies by severity; scanned notes the fields it used.
func (p *Parser) classifySev(ev *inventory.Event, rec *record, st *session, key uint64,
	keyed bool, scanned *[4]bool) (emit, end bool, err error) {
	msg := rec.message
	switch string(rec.sev) {
	case "LOG":
		return p.logMessage(ev, rec, st, key, keyed, scanned)
	case "ERROR", "FATAL", "PANIC":
		ev.Outcome = inventory.OutcomeFailure
		if s := string(rec.sqlstate); s != "00000" {
			ev.SQLState = p.str(rec.sqlstate)
		}
		end = string(rec.sev) != "ERROR"
		if end && p.authFailure(ev, msg) {
			scanned[0] = true
			return true, true, p.failureText(ev, rec, scanned)
		}
		if len(rec.query) > 0 {
			ev.Action = inventory.ActionStatement
			scanned[2] = true
			if err := p.statement(ev, rec.query, "statement"); err != nil {
				return false, false, err
			}
			ev.ObjectType, ev.ObjectName = p.deniedObject(msg)
		} else {
			ev.Action = inventory.ActionError
		}
		if ev.SQLState == "" && bytes.HasPrefix(msg, []byte("database \"")) &&
			bytes.HasSuffix(msg, []byte("\" does not exist")) {
			ev.SQLState = "3D000"
		}
		return true, end, p.failureText(ev, rec, scanned)
	}
	return false, false, nil
}

// syntaxErrorNear starts the message of a syntax error, which quotes the
// token the parser stopped at.
var syntaxErrorNear = []byte(`syntax error at or near "`)

// hideEchoedSecret redacts the token a syntax error quotes when it is a
// credential of the failing statement: ALTER ROLE x PASSWORD "secret" fails
// with syntax error at or near "secret", the secret itself.
func (p *Parser) hideEchoedSecret(rec *record) {
	if !bytes.HasPrefix(rec.message, syntaxErrorNear) || len(rec.query) == 0 {
		return
	}
	rest := rec.message[len(syntaxErrorNear):]
	end := bytes.LastIndexByte(rest, '"')
	if end <= 0 {
		return
	}
	tok := rest[:end]
	for _, sp := range p.red.scan(rec.query, "") {
		if bytes.Contains(rec.query[sp.start:sp.end], tok) {
			msg := append([]byte{}, syntaxErrorNear...)
			msg = append(msg, Redacted...)
			rec.message = append(msg, rest[end:]...)
			return
		}
	}
}

// failureText sets the redacted message and detail of a failure.
func (p *Parser) failureText(ev *inventory.Event, rec *record, scanned *[4]bool) error {
	var err error
	ev.Message, _, _, err = p.redactText(ev, rec.message, "message", false)
	if err != nil {
		return err
	}
	scanned[0] = true
	ev.Detail, _, _, err = p.redactText(ev, rec.detail, "detail", false)
	scanned[1] = true
	return err
}

// scanRest searches the fields of rec that did not become event text:
// message, detail, query (unless scanned says they were used), hint,
// context and internal query.
func (p *Parser) scanRest(ev *inventory.Event, rec *record, scanned [4]bool) error {
	if scanned[0] && len(rec.detail)+len(rec.query)+len(rec.hint)+len(rec.context)+
		len(rec.internal) == 0 {
		return nil
	}
	fields := [...]struct {
		name string
		b    []byte
		done bool
	}{
		{"message", rec.message, scanned[0]},
		{"detail", rec.detail, scanned[1]},
		{"query", rec.query, scanned[2]},
		{"hint", rec.hint, scanned[3]},
		{"context", rec.context, false},
		{"internal_query", rec.internal, false},
	}
	for _, f := range fields {
		if f.done || len(f.b) == 0 {
			continue
		}
		spans := p.red.scan(f.b, ev.User)
		if len(spans) == 0 {
			continue
		}
		if err := p.expose(ev, spans, f.name); err != nil {
			return err
		}
		scrub(f.b, spans)
	}
	return nil
}

// logMessage classifies a LOG record.
func (p *Parser) logMessage(ev *inventory.Event, rec *record, st *session, key uint64,
	keyed bool, scanned *[4]bool) (emit, end bool, err error) {
	msg := rec.message
	switch {
	case bytes.HasPrefix(msg, []byte(msgAudit)):
		scanned[0] = true
		return p.auditEvent(ev, rec, st)
	case bytes.HasPrefix(msg, []byte(msgAuthorized)), bytes.HasPrefix(msg, []byte(msgReplAuth)):
		if st == nil && keyed {
			var evicted int
			st, evicted = p.sessions.open(key)
			p.stats.SessionsEvicted += int64(evicted)
		}
		p.authorized(ev, msg, st)
		return true, false, nil
	case bytes.HasPrefix(msg, []byte(msgAuthenticated)):
		ev.Action = inventory.ActionAuthenticated
		ev.Identity, ev.AuthMethod = p.authenticated(msg[len(msgAuthenticated):])
		if st != nil {
			st.identity, st.authMethod = ev.Identity, ev.AuthMethod
		}
		return true, false, nil
	case bytes.HasPrefix(msg, []byte(msgDisconnection)):
		ev.Action = inventory.ActionDisconnect
		p.disconnection(ev, msg)
		return true, true, nil
	}
	stmt, kind := statementOf(msg, ev)
	if kind == "" {
		return false, false, nil
	}
	scanned[0] = true
	if kind != "execute" && kind != "statement" {
		// parse and bind lines repeat the execute line's text.
		return false, false, p.scanOnly(ev, stmt, "statement")
	}
	ev.Action = inventory.ActionStatement
	if err := p.statement(ev, stmt, "statement"); err != nil {
		return false, false, err
	}
	if bytes.HasPrefix(rec.detail, []byte(msgParameters)) {
		scanned[1] = true
		ev.Parameters, _, _, err = p.redactText(ev, rec.detail[len(msgParameters):],
			"parameter", false)
	}
	return true, false, err
}

// statementOf finds the statement in a core LOG message: "statement: …",
// "duration: N ms  statement: …", "execute <unnamed>: …", "parse …",
// "bind …". kind is empty when the message carries no statement.
func statementOf(msg []byte, ev *inventory.Event) (stmt []byte, kind string) {
	if bytes.HasPrefix(msg, []byte(msgDuration)) {
		rest := msg[len(msgDuration):]
		sp := bytes.Index(rest, []byte(" ms"))
		if sp < 0 {
			return nil, ""
		}
		if d, err := strconv.ParseFloat(string(rest[:sp]), 64); err == nil {
			ev.DurationMS = d
		}
		rest = rest[sp+3:]
		if !bytes.HasPrefix(rest, []byte("  ")) {
			return nil, ""
		}
		msg = rest[2:]
	}
	if bytes.HasPrefix(msg, []byte(msgStatement)) {
		return msg[len(msgStatement):], "statement"
	}
	for _, k := range [...]string{"execute", "parse", "bind"} {
		if len(msg) > len(k) && string(msg[:len(k)]) == k && msg[len(k)] == ' ' {
			i := bytes.Index(msg, []byte(": "))
			if i < 0 {
				return nil, ""
			}
			return msg[i+2:], k
		}
	}
	return nil, ""
}

// authorized handles "connection authorized: user=… database=…
// application_name=…" (and its replication form).
func (p *Parser) authorized(ev *inventory.Event, msg []byte, st *session) {
	ev.Action = inventory.ActionConnect
	repl := bytes.HasPrefix(msg, []byte(msgReplAuth))
	if repl {
		msg = msg[len(msgReplAuth):]
	} else {
		msg = msg[len(msgAuthorized):]
	}
	user, db, app := authorizedFields(msg)
	if ev.User == "" {
		ev.User = p.str(user)
	}
	if ev.Database == "" {
		ev.Database = p.str(db)
	}
	if len(app) > 0 {
		ev.Application = p.str(app)
	}
	ev.Replication = repl
	if st == nil {
		return
	}
	ev.AuthMethod = st.authMethod
	ev.Identity = st.identity
	st.user, st.db, st.app, st.replication = ev.User, ev.Database, ev.Application, repl
}

// authorizedFields splits "user=U database=D application_name=A" and
// drops the SSL/GSS details PostgreSQL may append.
func authorizedFields(msg []byte) (user, db, app []byte) {
	msg = cutSuffixAt(msg, " SSL enabled (")
	msg = cutSuffixAt(msg, " GSS (")
	rest, ok := bytes.CutPrefix(msg, []byte("user="))
	if !ok {
		return nil, nil, nil
	}
	if i := bytes.Index(rest, []byte(" application_name=")); i >= 0 {
		app = rest[i+len(" application_name="):]
		rest = rest[:i]
	}
	if i := bytes.Index(rest, []byte(" database=")); i >= 0 {
		db = rest[i+len(" database="):]
		rest = rest[:i]
	}
	return rest, db, app
}

func cutSuffixAt(msg []byte, marker string) []byte {
	// Most messages lack even the marker's last byte ('('), which one
	// byte search settles.
	if bytes.IndexByte(msg, marker[len(marker)-1]) < 0 {
		return msg
	}
	if i := bytes.LastIndex(msg, []byte(marker)); i >= 0 {
		return msg[:i]
	}
	return msg
}

// authenticated reads `identity="x" method=m (file:line)`.
func (p *Parser) authenticated(msg []byte) (identity, method string) {
	if rest, ok := bytes.CutPrefix(msg, []byte(`identity="`)); ok {
		if i := bytes.LastIndex(rest, []byte(`" method=`)); i >= 0 {
			identity = p.strs.must(rest[:i])
			m := rest[i+len(`" method=`):]
			if j := bytes.IndexByte(m, ' '); j >= 0 {
				m = m[:j]
			}
			method = p.str(m)
		}
	}
	return identity, method
}

// disconnection fills what the record lacks from "disconnection: session
// time: T user=U database=D host=H port=P".
func (p *Parser) disconnection(ev *inventory.Event, msg []byte) {
	i := bytes.Index(msg, []byte(" user="))
	if i < 0 {
		return
	}
	rest := msg[i+len(" user="):]
	var user, db, host, port []byte
	if j := bytes.LastIndex(rest, []byte(" port=")); j >= 0 {
		port = rest[j+len(" port="):]
		rest = rest[:j]
	}
	if j := bytes.LastIndex(rest, []byte(" host=")); j >= 0 {
		host = rest[j+len(" host="):]
		rest = rest[:j]
	}
	if j := bytes.Index(rest, []byte(" database=")); j >= 0 {
		db = rest[j+len(" database="):]
		rest = rest[:j]
	}
	user = rest
	if ev.User == "" {
		ev.User = p.str(user)
	}
	if ev.Database == "" {
		ev.Database = p.str(db)
	}
	if ev.ClientAddr == "" {
		ev.ClientAddr = p.str(host)
	}
	if ev.ClientPort == 0 {
		ev.ClientPort = atoi(port)
	}
}

// hostPortFromMessage reads "host=H port=P" or "host=[local]".
func hostPortFromMessage(msg []byte) ([]byte, int) {
	rest, ok := bytes.CutPrefix(msg, []byte("host="))
	if !ok {
		return nil, 0
	}
	if i := bytes.Index(rest, []byte(" port=")); i >= 0 {
		return rest[:i], atoi(rest[i+len(" port="):])
	}
	return rest, 0
}

func firstNonEmpty(a, b []byte) []byte {
	if len(a) > 0 {
		return a
	}
	return b
}

// authFailure recognises a refused login in a FATAL message and takes the
// user (and database) named in it; the log's own user field is the one of
// the startup packet and agrees.
func (p *Parser) authFailure(ev *inventory.Event, msg []byte) bool {
	var code string
	switch {
	case bytes.Contains(msg, []byte("password authentication failed for user \"")):
		code = "28P01"
	case bytes.Contains(msg, []byte("authentication failed for user \"")),
		bytes.HasPrefix(msg, []byte("pg_hba.conf rejects ")),
		bytes.HasPrefix(msg, []byte("no pg_hba.conf entry ")),
		bytes.HasPrefix(msg, []byte("role \"")) && (bytes.HasSuffix(msg, []byte("\" does not exist")) ||
			bytes.HasSuffix(msg, []byte("\" is not permitted to log in"))):
		code = "28000"
	default:
		return false
	}
	ev.Action = inventory.ActionAuthFailed
	if ev.SQLState == "" {
		ev.SQLState = code
	}
	if u := quotedAfter(msg, "user \""); u != nil && ev.User == "" {
		ev.User = p.str(u)
	}
	if u := quotedAfter(msg, "role \""); u != nil && ev.User == "" {
		ev.User = p.str(u)
	}
	if d := quotedAfter(msg, "database \""); d != nil && ev.Database == "" {
		ev.Database = p.str(d)
	}
	return true
}

// quotedAfter returns the text between marker and the next `"` that ends
// the value (followed by a comma or the end).
func quotedAfter(msg []byte, marker string) []byte {
	i := bytes.Index(msg, []byte(marker))
	if i < 0 {
		return nil
	}
	rest := msg[i+len(marker):]
	for j := 0; j < len(rest); j++ {
		if rest[j] == '"' && (j+1 == len(rest) || rest[j+1] == ',' || rest[j+1] == ' ') {
			return rest[:j]
		}
	}
	return nil
}

// deniedObject reads "permission denied for table patient".
func (p *Parser) deniedObject(msg []byte) (typ, name string) {
	rest, ok := bytes.CutPrefix(msg, []byte("permission denied for "))
	if !ok {
		return "", ""
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return "", ""
	}
	t := rest[:sp]
	for _, c := range t {
		if c < 'a' || c > 'z' {
			return "", ""
		}
	}
	return p.upper(t), p.str(rest[sp+1:])
}

// upper returns the upper-cased, shared form of a short ASCII word.
func (p *Parser) upper(b []byte) string {
	p.scratch = append(p.scratch[:0], b...)
	for i, c := range p.scratch {
		if c >= 'a' && c <= 'z' {
			p.scratch[i] = c - ('a' - 'A')
		}
	}
	return p.str(p.scratch)
}

// same returns known when b spells it, else b as a shared string.
func (p *Parser) same(b []byte, known string) string {
	if string(b) == known {
		return known
	}
	return p.str(b)
}

// str returns b as a shared string, counting repaired UTF-8.
func (p *Parser) str(b []byte) string {
	s, ok := p.strs.get(b)
	if !ok {
		p.repaired()
	}
	return s
}

func (p *Parser) repaired() {
	if p.stats.Repaired == 0 {
		p.stats.FirstRepaired = p.cur
	}
	p.stats.Repaired++
}

// must is get without the UTF-8 report, for text already counted.
func (in *interner) must(b []byte) string {
	s, _ := in.get(b)
	return s
}

// statement sets the event's statement: redacted, hashed, cut, and its
// command derived when the log gives none.
func (p *Parser) statement(ev *inventory.Event, text []byte, field string) error {
	s, cut, sum, err := p.redactText(ev, text, field, true)
	if err != nil {
		return err
	}
	ev.Statement, ev.StatementTruncated, ev.StatementSHA256 = s, cut, sum
	if ev.Command == "" {
		ev.Command = p.command(text)
	}
	return nil
}

// command names the command of a statement ("SELECT", "ALTER ROLE").
// Statements repeat, so the command of each recent statement head is
// remembered; the text was redacted in place before it gets here.
func (p *Parser) command(text []byte) string {
	head := text[:min(len(text), 256)]
	if c, ok := p.cmds[string(head)]; ok {
		return c
	}
	c := p.strs.must([]byte(commandOf(leadingWords(head, 4))))
	if len(p.cmds) >= stmtCacheMax {
		clear(p.cmds)
	}
	p.cmds[string(head)] = c
	return c
}

// scanOnly reports the credentials in text without keeping it.
func (p *Parser) scanOnly(ev *inventory.Event, text []byte, field string) error {
	spans := p.red.scan(text, ev.User)
	if len(spans) == 0 {
		return nil
	}
	err := p.expose(ev, spans, field)
	scrub(text, spans)
	return err
}

// redactText redacts text, reports its credentials as field, and returns
// it cut at MaxStatement (on a UTF-8 boundary), whether it was cut and,
// when wantHash, the SHA-256 of the whole redacted text. The credential
// bytes are wiped from the read buffer afterwards.
func (p *Parser) redactText(ev *inventory.Event, text []byte, field string,
	wantHash bool) (s string, cut bool, sum string, err error) {
	if len(text) == 0 {
		return "", false, "", nil
	}
	limit := p.opts.MaxStatement
	if wantHash && len(text) <= stmtCacheLen {
		// A statement seen before, which held no credential: pgaudit
		// repeats a statement in its OBJECT and SESSION rows and once per
		// relation, and applications repeat their statements.
		if c, ok := p.stmts[string(text)]; ok {
			return c.text, false, c.sum, nil
		}
	}
	spans := p.red.scan(text, ev.User)
	if len(spans) == 0 {
		keep := text
		if len(keep) > limit {
			keep, cut = cutUTF8(keep, limit), true
		}
		var ok bool
		s, ok = validString(keep)
		if !ok {
			p.repaired()
		}
		if wantHash {
			sum = hexString(sha256.Sum256(text))
			if ok && len(text) <= stmtCacheLen {
				if len(p.stmts) >= stmtCacheMax {
					clear(p.stmts)
				}
				p.stmts[s] = cachedStmt{text: s, sum: sum}
			}
		}
		return s, cut, sum, nil
	}
	if err := p.expose(ev, spans, field); err != nil {
		return "", false, "", err
	}
	if wantHash {
		p.sha.Reset()
		prev := 0
		for _, sp := range spans {
			p.sha.Write(text[prev:sp.start])
			p.sha.Write([]byte(sp.repl))
			prev = sp.end
		}
		p.sha.Write(text[prev:])
		var digest [sha256.Size]byte
		p.sha.Sum(digest[:0])
		sum = hexString(digest)
	}
	total := redactedLen(text, spans)
	out := appendRedacted(p.scratch[:0], text, spans, limit)
	if total > limit {
		out, cut = cutUTF8(out, limit), true
	}
	var ok bool
	s, ok = validString(out)
	if !ok {
		p.repaired()
	}
	clear(out)
	p.scratch = out[:0]
	scrub(text, spans)
	return s, cut, sum, nil
}

// hexString returns a digest in hex with one allocation.
func hexString(sum [sha256.Size]byte) string {
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// cachedStmt is a statement without credentials and its hash.
type cachedStmt struct{ text, sum string }

// The statement cache holds up to stmtCacheMax statements of up to
// stmtCacheLen bytes (at most 4 MiB of text).
const (
	stmtCacheMax = 4096
	stmtCacheLen = 1024
)

// cutUTF8 shortens b to at most n bytes without splitting a character.
func cutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for k := 0; k < utf8.UTFMax && n > 0 && !utf8.RuneStart(b[n]); k++ {
		n--
	}
	return b[:n]
}

// scrub overwrites the credentials of text in place, so the read buffer
// does not keep them until it is reused.
func scrub(text []byte, spans []span) {
	for _, s := range spans {
		for i := s.start; i < s.end; i++ {
			text[i] = '*'
		}
	}
}

// expose sends one Exposure per span.
func (p *Parser) expose(ev *inventory.Event, spans []span, field string) error {
	for _, s := range spans {
		x := inventory.Exposure{
			Kind:        s.leak.Kind,
			Account:     s.leak.Account,
			Server:      s.leak.Server,
			RemoteUser:  s.leak.RemoteUser,
			Host:        s.leak.Host,
			Command:     s.leak.Command,
			Verifier:    s.leak.Verifier,
			Field:       field,
			Source:      p.opts.Source,
			Time:        ev.Time,
			SessionUser: ev.User,
			Database:    ev.Database,
			SessionID:   ev.SessionID,
			ClientAddr:  ev.ClientAddr,
			Application: ev.Application,
			Pos:         ev.Pos,
		}
		p.stats.Exposures++
		if p.sink.Exposure != nil {
			if err := p.sink.Exposure(x); err != nil {
				return err
			}
		}
	}
	return nil
}
