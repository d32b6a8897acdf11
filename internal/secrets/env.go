package secrets

import (
	"regexp"
	"strings"
)

// envNameRE reads the name of a container environment entry written in
// block style, one key per line: `- name: POSTGRES_PASSWORD` in YAML,
// `"name": "POSTGRES_PASSWORD",` in JSON.
var envNameRE = regexp.MustCompile(`^([ \t]*)(-[ \t]+)?["']?name["']?[ \t]*:[ \t]*` +
	`("[^"]*"|'[^']*'|[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*,?[ \t]*$`)

// envFlowRE reads an environment entry written in flow style on one
// line: {name: PGPASSWORD, value: x} or {"name": "PGPASSWORD", "value": "x"}.
var envFlowRE = regexp.MustCompile(`\{[ \t]*["']?name["']?[ \t]*:[ \t]*` +
	`("[^"]*"|'[^']*'|[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*,[ \t]*["']?value["']?[ \t]*:[ \t]*`)

// envSiblingLines bounds how many lines of one entry are read to find the
// value key beside the name key.
const envSiblingLines = 6

// envEntryLines bounds how far the other entries of an env list are read
// to name the password's user, host and database.
const envEntryLines = 3 * contextLines

// maxEnvIdentities bounds how many passwords of one document are named
// from their env list, each read costing up to 2*envEntryLines lines, so
// that a file of many entries costs linear time. Past it, passwords are
// reported without an account.
const maxEnvIdentities = 64

// envEntry is one name/value pair of a container's environment; at is the
// offset of the value in the document, or -1 when it has none.
type envEntry struct {
	name, value string
	at          int
}

// detectEnv finds credentials in the name/value entries of a container's
// env list (Kubernetes, compose-like and ECS task definitions), where the
// key that names the secret is a value of its own. Entries whose value
// comes from valueFrom (a secretKeyRef) hold no secret.
func detectEnv(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	lineStart := w.start == 0 || d.text[w.start-1] == '\n'
	if e, ok := envBlockEntry(d, w.start, w.end); ok && lineStart {
		emitEnv(d, e, emit)
	}
	for _, m := range envFlowRE.FindAllStringSubmatchIndex(text, -1) {
		name := unquoteEnv(text[m[2]:m[3]])
		rest := text[m[1]:]
		if v, _, ok := quoted(rest); ok {
			emitEnv(d, envEntry{name: name, value: v, at: w.start + m[1] + 1}, emit)
			continue
		}
		if !d.class.bareValues {
			continue
		}
		end := strings.IndexAny(rest, ",}")
		if end < 0 {
			continue
		}
		emitEnv(d, envEntry{name: name, value: strings.TrimSpace(rest[:end]),
			at: w.start + m[1]}, emit)
	}
}

// emitEnv emits an entry whose name is a password or token key, naming
// the account from the other entries of the same list.
func emitEnv(d *doc, e envEntry, emit func(candidate)) {
	cls := classifyKey(e.name)
	if cls == keyNone || e.at < 0 {
		return
	}
	emitKeyed(d, cls, e.name, e.value, e.at, func(c candidate) {
		// The lines around an entry are other entries, which complete
		// cannot read: envIdentity names the account instead.
		c.context = false
		if c.rule == RuleDBPassword && d.memo.envIDs < maxEnvIdentities {
			d.memo.envIDs++
			envIdentity(d, e.at, &c)
		}
		emit(c)
	})
}

// envBlockEntry reads the block-style entry whose name key is on the line
// from ls to le: its value is a sibling key at the same column, below or
// above within the same entry.
func envBlockEntry(d *doc, ls, le int) (envEntry, bool) {
	m := envNameRE.FindStringSubmatch(string(d.text[ls:le]))
	if m == nil {
		return envEntry{}, false
	}
	col := len(m[1]) + len(m[2])
	e := envEntry{name: unquoteEnv(m[3]), at: -1}
	first := m[2] != ""
	// Below: sibling keys until the entry ends.
	pos := le
	for i := 0; i < envSiblingLines && pos+1 < len(d.text); i++ {
		s, end := lineBounds(d.text, pos+1, maxWindow)
		pos = end
		ind, body := indentOf(string(d.text[s:end]))
		if strings.TrimSpace(body) == "" || ind < col || strings.HasPrefix(body, "-") {
			break
		}
		if ind > col {
			continue
		}
		if v, at, ok := envValueKey(body); ok {
			e.value, e.at = v, s+ind+at
			return e, true
		}
	}
	// Above, when the name is not the entry's first key.
	pos = ls
	for i := 0; !first && i < envSiblingLines && pos > 0; i++ {
		s, end := lineBounds(d.text, pos-1, maxWindow)
		pos = s
		line := string(d.text[s:end])
		ind, body := indentOf(line)
		dash := false
		if strings.HasPrefix(body, "- ") && ind+2 <= col {
			_, rest := indentOf(body[1:])
			ind, body, dash = col, rest, true
		}
		if strings.TrimSpace(body) == "" || ind < col {
			break
		}
		if ind == col {
			if v, at, ok := envValueKey(body); ok {
				e.value, e.at = v, end-len(body)+at
				return e, true
			}
		}
		if dash {
			break
		}
	}
	return e, e.at >= 0
}

// envValueKey reads `value: x` (or "value": "x",) and returns the value
// and its offset in body.
func envValueKey(body string) (string, int, bool) {
	k := strings.TrimLeft(body, `"'`)
	if !strings.HasPrefix(k, "value") {
		return "", 0, false
	}
	k = strings.TrimLeft(k[len("value"):], `"'`)
	k = strings.TrimLeft(k, " \t")
	if !strings.HasPrefix(k, ":") {
		return "", 0, false // valueFrom:, value_x:
	}
	rest := strings.TrimLeft(k[1:], " \t")
	off := len(body) - len(rest)
	if v, _, ok := quoted(rest); ok {
		return v, off + 1, true
	}
	v := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(rest), ","))
	if v == "" || strings.HasPrefix(v, "#") || v == "|" || v == ">" {
		return "", 0, false
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, off, true
}

// envIdentity names the account of a password found in an env list from
// the other entries around it: POSTGRES_USER, PGHOST, DB_NAME, a
// DATABASE_URL without a password.
func envIdentity(d *doc, at int, c *candidate) {
	var url Identity
	set := func(e envEntry) {
		v := e.value
		if isPlaceholder(v) {
			return
		}
		switch keyRole(e.name) {
		case roleUser:
			if c.id.User == "" {
				c.id.User = v
			}
		case roleHost:
			if len(c.id.Hosts) == 0 {
				c.id.Hosts, c.id.Port = splitHosts(v)
			}
		case rolePort:
			if c.id.Port == "" {
				c.id.Port = v
			}
		case roleDB:
			if c.id.Database == "" {
				c.id.Database = v
			}
		case roleURL:
			if id, ok := urlIdentity(v); ok {
				url = id
			}
		}
	}
	ls, _ := lineBounds(d.text, at, maxWindow)
	// Start a few lines up so that entries above the password count.
	pos := ls
	for i := 0; i < envEntryLines && pos > 0; i++ {
		s, _ := lineBounds(d.text, pos-1, maxWindow)
		pos = s
	}
	for i := 0; i < 2*envEntryLines && pos < len(d.text); i++ {
		s, e := lineBounds(d.text, pos, maxWindow)
		if s != ls {
			if en, ok := envBlockEntry(d, s, e); ok && en.value != "" {
				set(en)
			}
			for _, m := range envFlowRE.FindAllStringSubmatchIndex(string(d.text[s:e]), -1) {
				rest := string(d.text[s+m[1] : e])
				v, _, ok := quoted(rest)
				if !ok {
					v, _, _ = strings.Cut(rest, ",")
					v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "}"))
				}
				set(envEntry{name: unquoteEnv(string(d.text[s+m[2] : s+m[3]])), value: v})
			}
		}
		pos = e + 1
	}
	if c.id.User == "" {
		c.id.User = url.User
	}
	if len(c.id.Hosts) == 0 {
		c.id.Hosts, c.id.Port = url.Hosts, url.Port
	}
	if c.id.Database == "" {
		c.id.Database = url.Database
	}
}

// indentOf splits a line into its indentation width and the rest.
func indentOf(line string) (int, string) {
	body := strings.TrimLeft(line, " \t")
	return len(line) - len(body), body
}

func unquoteEnv(s string) string {
	if v, _, ok := quoted(s); ok {
		return v
	}
	return s
}
