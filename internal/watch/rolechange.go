package watch

import (
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// maxTargets bounds the roles named in one role change alert.
const maxTargets = 20

// roleChange is a change of roles or privileges read from an event.
type roleChange struct {
	// command is the statement's command: GRANT, REVOKE, CREATE ROLE…
	command string
	// targets are the roles acted on, as the statement names them, with
	// CURRENT_USER and the like replaced by the acting user.
	targets []string
}

// roleCommands are the commands that change roles or privileges.
var roleCommands = map[string]bool{
	"GRANT": true, "REVOKE": true, "GRANT ROLE": true, "REVOKE ROLE": true,
	"CREATE ROLE": true, "ALTER ROLE": true, "DROP ROLE": true,
	"CREATE USER": true, "ALTER USER": true, "DROP USER": true,
	"CREATE GROUP": true, "ALTER GROUP": true, "DROP GROUP": true,
	"ALTER DEFAULT PRIVILEGES": true,
}

// roleChangeOf reports the role change an event records: a pgaudit ROLE
// record, or a statement (log_statement) whose command changes roles. Only
// role names are taken from the statement, never its literals.
func roleChangeOf(ev *inventory.Event) (roleChange, bool) {
	if ev.Action != inventory.ActionAudit && ev.Action != inventory.ActionStatement {
		return roleChange{}, false
	}
	toks := sqlTokens(ev.Statement, 400)
	cmd := strings.ToUpper(strings.TrimSpace(ev.Command))
	if !roleCommands[cmd] {
		cmd = commandOf(toks)
	}
	if !roleCommands[cmd] && ev.Audit.Class != "ROLE" {
		return roleChange{}, false
	}
	if cmd == "" {
		cmd = "ROLE"
	}
	rc := roleChange{command: cmd}
	for _, t := range targetsOf(cmd, toks) {
		switch strings.ToLower(t) {
		case "current_user", "session_user", "current_role":
			t = ev.User
		case "public", "all":
			t = strings.ToUpper(t)
		}
		if len(rc.targets) < maxTargets && !contains(rc.targets, t) {
			rc.targets = append(rc.targets, t)
		}
	}
	return rc, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// token is one SQL token: a word (unquoted, lowercased), a quoted
// identifier (quoted set, as written), or one punctuation character.
type token struct {
	text   string
	quoted bool
	punct  bool
}

func (t token) is(word string) bool { return !t.quoted && !t.punct && t.text == word }

// sqlTokens splits the start of a statement into tokens, up to max
// tokens. String literals, dollar-quoted bodies, numbers and comments are
// dropped: they may hold PHI or secrets and never name a role.
func sqlTokens(s string, max int) []token {
	var out []token
	for i := 0; i < len(s) && len(out) < max; {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && strings.HasPrefix(s[i:], "--"):
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				return out
			}
			i += j
		case c == '/' && strings.HasPrefix(s[i:], "/*"):
			j := strings.Index(s[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case c == '\'':
			i = skipString(s, i)
		case c == '$':
			i = skipDollar(s, i)
		case c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(s) {
				if s[j] == '"' {
					if j+1 < len(s) && s[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{text: b.String(), quoted: true})
			i = j + 1
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			w := strings.ToLower(s[i:j])
			if (w == "e" || w == "b" || w == "x" || w == "u&") && j < len(s) && s[j] == '\'' {
				i = skipString(s, j)
				continue
			}
			out = append(out, token{text: w})
			i = j
		case c >= '0' && c <= '9':
			for i < len(s) && (isIdentPart(s[i]) || s[i] == '.') {
				i++
			}
		default:
			out = append(out, token{text: string(c), punct: true})
			i++
		}
	}
	return out
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// skipString returns the index after the string literal opening at s[i].
func skipString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == '\\' {
			j++ // an E'' escape; harmless for a standard string
			continue
		}
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// skipDollar returns the index after a dollar-quoted string opening at
// s[i], or after the lone '$' (a parameter such as $1).
func skipDollar(s string, i int) int {
	j := i + 1
	for j < len(s) && (isIdentStart(s[j]) || s[j] >= '0' && s[j] <= '9') && s[j] != '$' {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		return j
	}
	tag := s[i : j+1]
	if end := strings.Index(s[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag)
	}
	return len(s)
}

// commandOf returns the command of a statement from its first words.
func commandOf(toks []token) string {
	word := func(i int) string {
		if i < len(toks) && !toks[i].punct && !toks[i].quoted {
			return strings.ToUpper(toks[i].text)
		}
		return ""
	}
	switch w := word(0); w {
	case "GRANT", "REVOKE":
		return w
	case "CREATE", "ALTER", "DROP":
		if two := w + " " + word(1); roleCommands[two] {
			return two
		}
		if w == "ALTER" && word(1) == "DEFAULT" && word(2) == "PRIVILEGES" {
			return "ALTER DEFAULT PRIVILEGES"
		}
	}
	return ""
}

// targetsOf returns the roles a role command acts on.
func targetsOf(cmd string, toks []token) []string {
	switch cmd {
	case "GRANT", "GRANT ROLE", "ALTER DEFAULT PRIVILEGES":
		if i := topLevel(toks, "to"); i >= 0 {
			return nameList(toks[i+1:], "with", "granted")
		}
		if i := topLevel(toks, "from"); i >= 0 && cmd == "ALTER DEFAULT PRIVILEGES" {
			return nameList(toks[i+1:], "cascade", "restrict", "granted")
		}
	case "REVOKE", "REVOKE ROLE":
		if i := topLevel(toks, "from"); i >= 0 {
			return nameList(toks[i+1:], "cascade", "restrict", "granted")
		}
	case "CREATE ROLE", "CREATE USER", "CREATE GROUP", "ALTER ROLE", "ALTER USER":
		if len(toks) > 2 {
			return nameList(toks[2:3])
		}
	case "ALTER GROUP":
		if len(toks) < 3 {
			return nil
		}
		out := nameList(toks[2:3])
		if i := topLevel(toks, "user"); i >= 0 {
			out = append(out, nameList(toks[i+1:])...)
		}
		return out
	case "DROP ROLE", "DROP USER", "DROP GROUP":
		rest := toks[min(2, len(toks)):]
		if len(rest) > 1 && rest[0].is("if") && rest[1].is("exists") {
			rest = rest[2:]
		}
		return nameList(rest)
	}
	return nil
}

// topLevel returns the index of the first word w outside parentheses.
func topLevel(toks []token, w string) int {
	depth := 0
	for i, t := range toks {
		switch {
		case t.punct && t.text == "(":
			depth++
		case t.punct && t.text == ")":
			depth--
		case depth == 0 && t.is(w):
			return i
		}
	}
	return -1
}

// nameList reads comma-separated role names ("GROUP" before a name is
// skipped) until a stop word, a semicolon or anything else.
func nameList(toks []token, stops ...string) []string {
	var out []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.punct {
			if t.text == "," {
				continue
			}
			break
		}
		if !t.quoted && contains(stops, t.text) {
			break
		}
		if t.is("group") && i+1 < len(toks) && !toks[i+1].punct {
			continue
		}
		if t.text != "" { // an unclosed quote leaves an empty name
			out = append(out, t.text)
		}
		if i+1 < len(toks) && !(toks[i+1].punct && toks[i+1].text == ",") {
			break
		}
	}
	return out
}
