package secrets

import (
	"net/url"
	"regexp"
	"strings"
)

// uriRE finds the start of a database URI; the rest is parsed by hand so
// that passwords holding '@', '/', '#' or '%' are read whole.
var uriRE = regexp.MustCompile(`(?i)\b(jdbc:)?(postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|` +
	`rediss?|sqlserver|mssql)://`)

// uriKinds names each scheme for people.
var uriKinds = map[string]string{
	"postgres": "PostgreSQL", "postgresql": "PostgreSQL", "mysql": "MySQL",
	"mariadb": "MariaDB", "mongodb": "MongoDB", "mongodb+srv": "MongoDB",
	"redis": "Redis", "rediss": "Redis", "sqlserver": "SQL Server", "mssql": "SQL Server",
}

// detectURI finds database URIs and JDBC URLs with a password, in the
// user-info part or in the query parameters.
func detectURI(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	for _, m := range uriRE.FindAllStringSubmatchIndex(text, -1) {
		jdbc := m[2] >= 0
		scheme := strings.ToLower(text[m[4]:m[5]])
		tok := uriToken(text[m[1]:])
		c, ok := parseURI(scheme, tok)
		if !ok {
			continue
		}
		c.at = w.start + m[1] + c.at
		c.kind = uriKinds[scheme] + " URI password"
		if jdbc {
			c.kind = "JDBC " + uriKinds[scheme] + " URL password"
		}
		c.prio = 30
		emit(c)
	}
	detectOracle(d, w, text, emit)
}

// uriToken returns the URI text after "scheme://": up to whitespace, a
// quote or an angle bracket, without trailing punctuation.
func uriToken(s string) string {
	end := strings.IndexAny(s, " \t\r\n\"'`<>\\|")
	if end < 0 {
		end = len(s)
	}
	return strings.TrimRight(s[:end], ".,;)")
}

// hostRE matches a host list: names or [IPv6] with optional ports,
// separated by commas; percent-encoded socket paths are names too.
var hostRE = regexp.MustCompile(`^(?:\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9._%~-]+)(?::\d*)?` +
	`(?:,(?:\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9._%~-]+)(?::\d*)?)*`)

// parseURI reads the part of a database URI after "scheme://". The
// candidate's at is the offset of the password in rest.
func parseURI(scheme, rest string) (candidate, bool) {
	var c candidate
	c.rule = RuleDBPassword

	// The user-info ends at the last '@' that is followed by a host list
	// and preceded by no '/' or '?' before its first ':'.
	userinfo, after, pwAt := "", rest, -1
	for i := len(rest) - 1; i >= 0; i-- {
		if rest[i] != '@' {
			continue
		}
		ui := rest[:i]
		colon := strings.IndexByte(ui, ':')
		if colon < 0 {
			if !strings.ContainsAny(ui, "/?") {
				userinfo, after = ui, rest[i+1:]
			}
			break
		}
		if strings.ContainsAny(ui[:colon], "/?#") {
			continue
		}
		if hostRE.MatchString(rest[i+1:]) {
			userinfo, after, pwAt = ui, rest[i+1:], colon+1
			break
		}
	}
	if userinfo != "" {
		user, pw, _ := strings.Cut(userinfo, ":")
		c.id.User = unescape(user)
		if pwAt >= 0 {
			c.secret, c.at = unescape(pw), pwAt
		}
	}

	// Hosts, then the path (database) and the query.
	hostPart := hostRE.FindString(after)
	tail := after[len(hostPart):]
	c.id.Hosts, c.id.Port = splitHosts(hostPart)
	sep := "&"
	if (scheme == "sqlserver" || scheme == "mssql") && strings.HasPrefix(tail, ";") {
		sep = ";" // jdbc:sqlserver://host:1433;databaseName=x;password=y
	}
	path, query, _ := strings.Cut(tail, "?")
	if sep == ";" {
		path, query = "", tail
	}
	path, _, _ = strings.Cut(strings.TrimPrefix(path, "/"), "#")
	if db, _, _ := strings.Cut(path, "/"); db != "" {
		c.id.Database = unescape(db)
	}
	for _, kv := range splitParams(query, sep[0]) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		v = strings.Trim(unescape(v), "{}")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "user", "username", "userid", "user id", "uid":
			if c.id.User == "" {
				c.id.User = v
			}
		case "password", "pass", "pwd":
			if c.secret == "" {
				c.secret = v
				c.at = strings.Index(rest, kv) + len(k) + 1
			}
		case "host", "server":
			if len(c.id.Hosts) == 0 {
				c.id.Hosts, c.id.Port = splitHosts(v)
			}
		case "dbname", "database", "databasename", "initial catalog":
			if c.id.Database == "" {
				c.id.Database = v
			}
		}
	}
	if c.secret == "" || c.at < 0 {
		return c, false
	}
	return c, true
}

// splitParams splits s at sep outside {braces}, as JDBC SQL Server
// quotes values that hold the separator.
func splitParams(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth = max(0, depth-1)
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// splitHosts splits "h1:5432,[::1]:5433" into hosts and the first port.
func splitHosts(s string) ([]string, string) {
	if s == "" {
		return nil, ""
	}
	var hosts []string
	port := ""
	for _, h := range strings.Split(s, ",") {
		hp := h
		p := ""
		if strings.HasPrefix(h, "[") {
			if end := strings.IndexByte(h, ']'); end > 0 {
				hp, p = h[1:end], strings.TrimPrefix(h[end+1:], ":")
			}
		} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
			hp, p = h[:i], h[i+1:]
		}
		hp = strings.TrimPrefix(unescape(hp), "tcp:")
		if hp == "" {
			continue
		}
		hosts = append(hosts, hp)
		if port == "" {
			port = p
		}
	}
	return hosts, port
}

// unescape undoes percent-encoding, keeping s as written when it is not
// valid percent-encoding (a password with a bare '%').
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

// oracleRE matches jdbc:oracle:thin:user/password@host:port:sid and the
// //host:port/service form.
var oracleRE = regexp.MustCompile(`(?i)jdbc:oracle:thin:([A-Za-z0-9_$#.-]+)/([^@\s"']+)@(?://)?` +
	`([A-Za-z0-9._-]+)(?::(\d+))?(?:[:/]([A-Za-z0-9._$-]+))?`)

func detectOracle(d *doc, w window, text string, emit func(candidate)) {
	for _, m := range oracleRE.FindAllStringSubmatchIndex(text, -1) {
		c := candidate{rule: RuleDBPassword, kind: "JDBC Oracle URL password", prio: 30,
			secret: text[m[4]:m[5]], at: w.start + m[4]}
		c.id.User = text[m[2]:m[3]]
		c.id.Hosts = []string{text[m[6]:m[7]]}
		if m[8] >= 0 {
			c.id.Port = text[m[8]:m[9]]
		}
		if m[10] >= 0 {
			c.id.Database = text[m[10]:m[11]]
		}
		emit(c)
	}
}

// goDSNRE matches the Go MySQL driver's user:password@tcp(host:port)/db.
var goDSNRE = regexp.MustCompile(`([A-Za-z0-9_.$-]*):([^\s"'` + "`" +
	`]*)@(?:tcp6?|unix)\(([^)]*)\)/([A-Za-z0-9_.$-]*)`)

// detectGoDSN finds MySQL DSNs in the Go driver's form.
func detectGoDSN(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	for _, m := range goDSNRE.FindAllStringSubmatchIndex(text, -1) {
		c := candidate{rule: RuleDBPassword, kind: "MySQL DSN password", prio: 30,
			secret: text[m[4]:m[5]], at: w.start + m[4]}
		c.id.User = text[m[2]:m[3]]
		c.id.Hosts, c.id.Port = splitHosts(text[m[6]:m[7]])
		c.id.Database = text[m[8]:m[9]]
		emit(c)
	}
}

// adoRE matches one key=value pair of an ADO.NET or ODBC connection
// string; values may be quoted or braced.
var adoRE = regexp.MustCompile(`(?i)(?:^|[;"'\s{])(server|data source|address|addr|` +
	`network address|host|hostname|database|initial catalog|dbname|user id|userid|uid|` +
	`user|username|password|pwd|port)\s*=\s*("[^"]*"|'[^']*'|\{[^}]*\}|[^;"'\r\n]*)`)

// detectADO finds ADO.NET and ODBC connection strings: Password= or Pwd=
// with a server or a user in the same ;-separated string.
func detectADO(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	low := strings.ToLower(text)
	if !strings.Contains(low, ";") {
		return
	}
	var c candidate
	var named bool
	for _, m := range adoRE.FindAllStringSubmatchIndex(text, -1) {
		key := strings.ToLower(text[m[2]:m[3]])
		v := strings.TrimSpace(text[m[4]:m[5]])
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'' || v[0] == '{') {
			v = v[1 : len(v)-1]
		}
		switch key {
		case "server", "data source", "address", "addr", "network address", "host", "hostname":
			h := strings.TrimPrefix(v, "tcp:")
			if i := strings.IndexAny(h, "/\\"); i >= 0 {
				if c.id.Database == "" {
					c.id.Database = h[i+1:]
				}
				h = h[:i]
			}
			if i := strings.IndexByte(h, ','); i >= 0 {
				c.id.Port, h = h[i+1:], h[:i]
			} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
				c.id.Port, h = h[i+1:], h[:i]
			}
			c.id.Hosts = []string{h}
			named = true
		case "database", "initial catalog", "dbname":
			c.id.Database = v
		case "user id", "userid", "uid", "user", "username":
			c.id.User = v
			named = true
		case "port":
			c.id.Port = v
		case "password", "pwd":
			if c.secret == "" {
				c.secret, c.at = v, w.start+m[4]
			}
		}
	}
	if c.secret == "" || !named {
		return
	}
	c.rule, c.kind, c.prio = RuleDBPassword, "connection string password", 25
	emit(c)
}
