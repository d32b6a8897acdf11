package secrets

import (
	"regexp"
	"strings"
)

// contextLines bounds how far from a password its user, host and database
// are looked for; the search also stops at a blank line.
const contextLines = 8

// ctxRE reads one key = value or key: value line of a configuration file.
var ctxRE = regexp.MustCompile(`^\s*(?:export\s+|-\s+)?["']?([A-Za-z0-9_.\- ]{1,64}?)["']?\s*(?:=|:)\s*(.*?)\s*,?\s*$`)

// envPairRE reads KEY=value assignments anywhere on a line, as shell
// commands write several (PGUSER=x PGPASSWORD=y psql).
var envPairRE = regexp.MustCompile(`(?:^|\s)([A-Za-z_][A-Za-z0-9_.]*)=("[^"]*"|'[^']*'|[^\s;&'"]+)`)

// quotedPairRE reads key: "value" pairs anywhere on a line: JSON
// objects and struct literals hold several on one line.
var quotedPairRE = regexp.MustCompile(`["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[:=]\s*("[^"]*"|'[^']*')`)

// xmlPairRE reads <user>value</user> elements.
var xmlPairRE = regexp.MustCompile(`<([A-Za-z_][A-Za-z0-9_.-]*)>([^<]{1,256})</`)

// The roles a nearby key can play for a password.
const (
	roleNone = iota
	roleUser
	roleHost
	rolePort
	roleDB
	roleURL
)

// keyRole says what a nearby key names: a user, a host, a port, a
// database or a whole connection URL.
func keyRole(key string) int {
	words := keyWords(key)
	if len(words) == 0 {
		return roleNone
	}
	last := words[len(words)-1]
	if len(words) == 1 && strings.HasPrefix(last, "pg") && len(last) > 2 {
		last = last[2:] // PGUSER, PGHOST, PGDATABASE
	}
	prev := ""
	if len(words) > 1 {
		prev = words[len(words)-2]
	}
	switch last {
	case "user", "username", "login", "uid", "usr", "userid":
		return roleUser
	case "id":
		if prev == "user" {
			return roleUser
		}
	case "host", "hostname", "server", "address", "addr":
		return roleHost
	case "source":
		if prev == "data" {
			return roleHost
		}
	case "port":
		return rolePort
	case "database", "dbname", "db", "catalog":
		return roleDB
	case "name":
		if prev == "db" || prev == "database" {
			return roleDB
		}
	case "url", "uri", "dsn", "string":
		return roleURL
	}
	return roleNone
}

// ctxValue is a nearby value, scored by distance and by whether its key
// shares the password key's prefix (lower is better).
type ctxValue struct {
	val   string
	score int
}

// complete fills the parts of c's identity that the lines around it name:
// DB_USER and DB_HOST beside DB_PASSWORD, a URL a few lines away,
// username: beside password: in YAML.
func complete(d *doc, c *candidate) {
	prefix := keyPrefix(c.key)
	best := map[int]ctxValue{}
	var url Identity
	urlScore := -1
	var considerPair func(key, v string, dist int)
	consider := func(lineStart int, line string, dist int) {
		for _, m := range linePairs(d, lineStart, line) {
			considerPair(m[1], m[2], dist)
		}
	}
	considerPair = func(key, v string, dist int) {
		role := keyRole(key)
		if role == roleNone {
			return
		}
		if q, _, ok := quoted(v); ok {
			v = q
		} else if role != roleURL {
			v = bare(v)
		}
		if v == "" || isPlaceholder(v) && role != roleURL {
			return
		}
		score := dist
		if keyPrefix(key) != prefix {
			score += 100
		}
		if role == roleURL {
			if id, ok := urlIdentity(v); ok && (urlScore < 0 || score < urlScore) {
				url, urlScore = id, score
			}
			return
		}
		if cur, ok := best[role]; !ok || score < cur.score {
			best[role] = ctxValue{val: v, score: score}
		}
	}
	walkContext(d, c.at, consider)

	pick := func(role int, fromURL string, set func(string)) {
		v, ok := best[role]
		switch {
		case ok && (urlScore < 0 || v.score <= urlScore || fromURL == ""):
			set(v.val)
		case fromURL != "":
			set(fromURL)
		}
	}
	firstHost := ""
	if len(url.Hosts) > 0 {
		firstHost = strings.Join(url.Hosts, ",")
	}
	if c.id.User == "" {
		pick(roleUser, url.User, func(v string) { c.id.User = v })
	}
	if len(c.id.Hosts) == 0 {
		pick(roleHost, firstHost, func(v string) { c.id.Hosts, c.id.Port = splitHosts(v) })
	}
	if c.id.Port == "" {
		pick(rolePort, url.Port, func(v string) { c.id.Port = v })
	}
	if c.id.Database == "" {
		pick(roleDB, url.Database, func(v string) { c.id.Database = v })
	}
}

// linePairs returns the key/value pairs written on a line, read once per
// line of a document.
func linePairs(d *doc, lineStart int, line string) [][]string {
	if got, ok := d.memo.pairs[lineStart]; ok {
		return got
	}
	pairs := envPairRE.FindAllStringSubmatch(line, -1)
	pairs = append(pairs, quotedPairRE.FindAllStringSubmatch(line, -1)...)
	pairs = append(pairs, xmlPairRE.FindAllStringSubmatch(line, -1)...)
	if m := ctxRE.FindStringSubmatch(line); m != nil {
		pairs = append(pairs, m)
	}
	kept := pairs[:0]
	for _, m := range pairs {
		if keyRole(m[1]) != roleNone {
			kept = append(kept, m)
		}
	}
	if d.memo.pairs == nil {
		d.memo.pairs = map[int][][]string{}
	}
	d.memo.pairs[lineStart] = kept
	return kept
}

// walkContext calls fn for each line of the paragraph around offset at,
// up to contextLines each way, with its start and its distance in lines.
func walkContext(d *doc, at int, fn func(start int, line string, dist int)) {
	ls, le := lineBounds(d.text, at, maxWindow)
	fn(ls, string(d.text[ls:le]), 0)
	// Upwards.
	pos := ls
	for dist := 1; dist <= contextLines && pos > 0 && d.text[pos-1] == '\n'; dist++ {
		s, e := lineBounds(d.text, pos-1, maxWindow)
		line := string(d.text[s:e])
		if strings.TrimSpace(line) == "" {
			break
		}
		fn(s, line, dist)
		pos = s
	}
	// Downwards.
	pos = le
	for dist := 1; dist <= contextLines && pos+1 < len(d.text) && d.text[pos] == '\n'; dist++ {
		s, e := lineBounds(d.text, pos+1, maxWindow)
		line := string(d.text[s:e])
		if strings.TrimSpace(line) == "" {
			break
		}
		fn(s, line, dist)
		pos = e
	}
}

// urlIdentity reads the user, hosts, port and database of a connection
// URL or string that may hold no password.
func urlIdentity(v string) (Identity, bool) {
	if m := uriRE.FindStringSubmatchIndex(v); m != nil {
		c, _ := parseURI(strings.ToLower(v[m[4]:m[5]]), uriToken(v[m[1]:]))
		if c.id.richness() > 0 {
			return c.id, true
		}
	}
	if m := goDSNRE.FindStringSubmatch(v); m != nil {
		var id Identity
		id.User = m[1]
		id.Hosts, id.Port = splitHosts(m[3])
		id.Database = m[4]
		return id, true
	}
	return Identity{}, false
}
