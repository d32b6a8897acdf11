package secrets

import (
	"regexp"
	"strings"
	"unicode"
)

// kvRE finds a key that may name a credential, followed by an assignment:
// KEY=, key:, "key":, key :=, key =>.
var kvRE = regexp.MustCompile(`(?i)["']?([A-Za-z0-9_.\-\[\]]*(?:pass|pwd|secret|token|api[_.-]?key|` +
	`access[_.-]?key)[A-Za-z0-9_.\-\[\]]*)["']?[ \t]*(:=|=>|=|:)[ \t]*`)

// xmlRE finds <password>value</password> elements; the closing tag is
// checked in code since RE2 has no back-references.
var xmlRE = regexp.MustCompile(`<([A-Za-z0-9_.:-]*(?i:password|passwd|pwd|secret)[A-Za-z0-9_.:-]*)>` +
	`([^<]{1,256})</([A-Za-z0-9_.:-]+)>`)

// attrRE finds name="...password..." value="..." attribute pairs, as in
// .NET appSettings and Spring XML.
var attrRE = regexp.MustCompile(`(?i)\b(?:name|key)\s*=\s*"([^"]*(?:password|passwd|pwd|secret)[^"]*)"` +
	`\s+value\s*=\s*"([^"]*)"`)

// setterRE finds setPassword("value") calls.
var setterRE = regexp.MustCompile(`(?i)\.set(password|passwd|pwd)\s*\(\s*"([^"\\]{1,256})"\s*\)`)

// The classes of a key.
const (
	keyNone = iota
	keyPassword
	keyToken
)

// stopWords end key names that hold something about a secret rather than
// the secret: its name, file, length, policy, hash…
var stopWords = map[string]bool{
	"id": true, "ids": true, "name": true, "names": true, "field": true, "fields": true,
	"file": true, "files": true, "path": true, "dir": true, "env": true, "var": true,
	"variable": true, "prompt": true, "label": true, "len": true, "length": true,
	"min": true, "max": true, "policy": true, "regex": true, "regexp": true,
	"pattern": true, "type": true, "format": true, "hint": true, "placeholder": true,
	"message": true, "msg": true, "error": true, "err": true, "header": true,
	"param": true, "column": true, "col": true, "attr": true, "enabled": true,
	"disabled": true, "required": true, "mode": true, "command": true, "cmd": true,
	"url": true, "uri": true, "expiry": true, "expires": true, "expiration": true,
	"age": true, "reset": true, "change": true, "rotation": true, "hash": true,
	"hashed": true, "salt": true, "digest": true, "count": true, "size": true,
	"ref": true, "reference": true, "arn": true, "endpoint": true, "template": true,
	"kind": true, "method": true, "store": true, "manager": true, "provider": true,
	"class": true, "validator": true, "validation": true, "strength": true, "rule": true,
	"rules": true, "check": true, "input": true, "form": true, "text": true,
	"title": true, "description": true, "help": true, "source": true, "secretref": true,
	"keyref": true, "secretkeyref": true, "encrypted": true, "enc": true, "auth": true,
	"mount": true, "volume": true, "version": true, "key": false, "timeout": true,
	"ttl": true, "lifetime": true, "duration": true, "used": true, "set": true,
	"updated": true, "created": true, "at": true, "on": true, "date": true, "time": true,
	"flag": true, "option": true, "options": true, "config": true, "settings": true,
	"exists": true, "empty": true, "valid": true, "invalid": true, "wrong": true,
}

// tokenStopWords are words that make a "token" key something else: a
// parser token, a page cursor, a CSRF nonce.
var tokenStopWords = map[string]bool{
	"csrf": true, "xsrf": true, "page": true, "next": true, "continuation": true,
	"cursor": true, "sync": true, "pagination": true, "tokens": true, "tokenizer": true,
	"tokenize": true, "lexer": true, "parser": true, "eof": true,
}

// keyWords splits a key into lower-case words at separators and at
// camelCase boundaries.
func keyWords(key string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range key {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return words
}

// classifyKey says whether a key holds a password, a token or neither.
func classifyKey(key string) int {
	words := keyWords(key)
	if len(words) == 0 || stopWords[words[len(words)-1]] {
		return keyNone
	}
	joined := strings.Join(words, "")
	for _, w := range words {
		switch w {
		case "password", "passwd", "pwd", "passphrase", "passwort":
			return keyPassword
		case "pass":
			// DB_PASS, but not a bare PASS: (go test's "--- PASS: TestX").
			if len(words) > 1 {
				return keyPassword
			}
		}
	}
	for _, s := range []string{"password", "passwd", "passphrase"} {
		if strings.Contains(joined, s) {
			return keyPassword
		}
	}
	for _, w := range words {
		if tokenStopWords[w] {
			return keyNone
		}
	}
	for _, w := range words {
		if w == "secret" || w == "token" || strings.HasSuffix(w, "secret") ||
			strings.HasSuffix(w, "token") {
			return keyToken
		}
	}
	for _, s := range []string{"apikey", "accesskey", "secretkey", "clientsecret"} {
		if strings.Contains(joined, s) {
			return keyToken
		}
	}
	return keyNone
}

// keyPrefix is a key without its last word, to pair DB_PASSWORD with
// DB_USER and spring.datasource.password with spring.datasource.username.
func keyPrefix(key string) string {
	words := keyWords(key)
	if len(words) <= 1 {
		if len(words) == 1 && strings.HasPrefix(words[0], "pg") {
			return "pg"
		}
		return ""
	}
	return strings.Join(words[:len(words)-1], ".")
}

// detectKeyValue finds credentials assigned to keys that name them, in
// .env, YAML, JSON, INI, TOML, properties, XML and code.
func detectKeyValue(d *doc, w window, emit func(candidate)) {
	text := string(d.text[w.start:w.end])
	for _, m := range kvRE.FindAllStringSubmatchIndex(text, -1) {
		key := text[m[2]:m[3]]
		cls := classifyKey(key)
		if cls == keyNone {
			continue
		}
		rest := text[m[1]:]
		val, off, ok := keyValue(d, w.start+m[1], rest, text[m[4]:m[5]])
		if !ok {
			continue
		}
		if m[0] > 0 && (text[m[0]-1] == '?' || text[m[0]-1] == '&') {
			val, _, _ = strings.Cut(val, "&") // a URL query parameter
		}
		emitKeyed(d, cls, key, val, w.start+m[1]+off, emit)
	}
	for _, m := range xmlRE.FindAllStringSubmatchIndex(text, -1) {
		if text[m[2]:m[3]] != text[m[6]:m[7]] {
			continue
		}
		emitKeyed(d, classifyKey(text[m[2]:m[3]]), text[m[2]:m[3]],
			strings.TrimSpace(text[m[4]:m[5]]), w.start+m[4], emit)
	}
	for _, m := range attrRE.FindAllStringSubmatchIndex(text, -1) {
		emitKeyed(d, classifyKey(text[m[2]:m[3]]), text[m[2]:m[3]], text[m[4]:m[5]],
			w.start+m[4], emit)
	}
	for _, m := range setterRE.FindAllStringSubmatchIndex(text, -1) {
		emitKeyed(d, keyPassword, text[m[2]:m[3]], text[m[4]:m[5]], w.start+m[4], emit)
	}
}

// keyValue reads the value after an assignment at offset at of the
// document; rest is the window's text from there. It returns the value
// and its offset in rest.
func keyValue(d *doc, at int, rest, sep string) (string, int, bool) {
	if v, _, ok := quoted(rest); ok {
		return v, 1, true
	}
	if !d.class.bareValues {
		return "", 0, false
	}
	v := bare(rest)
	if v == "" && sep == ":" || v == "|" || v == ">" {
		return nestedValue(d, at)
	}
	if strings.HasPrefix(v, "#") {
		return "", 0, false
	}
	return v, 0, v != ""
}

// nestedValue reads the value of a YAML key whose value is on the next,
// deeper-indented line: a block scalar (password: |) or a single child
// such as Travis's `secure:`.
func nestedValue(d *doc, at int) (string, int, bool) {
	ls, le := lineBounds(d.text, at, maxWindow)
	indent := len(d.text[ls:le]) - len(strings.TrimLeft(string(d.text[ls:le]), " \t"))
	if le >= len(d.text) {
		return "", 0, false
	}
	ns, ne := lineBounds(d.text, le+1, maxWindow)
	line := string(d.text[ns:ne])
	trimmed := strings.TrimLeft(line, " \t")
	if strings.TrimSpace(trimmed) == "" || len(line)-len(trimmed) <= indent {
		return "", 0, false
	}
	lead := len(line) - len(trimmed)
	before, after, found := strings.Cut(trimmed, ":")
	if line := strings.TrimSpace(string(d.text[ls:le])); strings.HasSuffix(line, "|") ||
		strings.HasSuffix(line, ">") {
		v := strings.TrimSpace(trimmed)
		return v, ns + lead - at, v != ""
	}
	if !found {
		return "", 0, false
	}
	switch strings.ToLower(strings.TrimSpace(before)) {
	case "secure", "value", "plain", "plaintext", "default", "text":
	default:
		return "", 0, false
	}
	a := strings.TrimLeft(after, " \t")
	off := ns + lead + len(before) + 1 + (len(after) - len(a)) - at
	if v, _, ok := quoted(a); ok {
		return v, off + 1, true
	}
	v := bare(a)
	return v, off, v != ""
}

// emitKeyed checks a value found under a key and emits it when it is a
// credential rather than a placeholder, a reference or a hash.
func emitKeyed(d *doc, cls int, key, val string, at int, emit func(candidate)) {
	if cls == keyNone {
		return
	}
	val = strings.TrimSpace(val)
	if rest, ok := strings.CutPrefix(val, "{noop}"); ok {
		val = rest // Spring's marker for a plaintext password
	}
	if notSecret(key, val, !d.class.bareValues) {
		return
	}
	c := candidate{at: at, secret: val, key: key, prio: 10}
	c.id.Label = key
	switch cls {
	case keyPassword:
		if len(val) < 4 {
			return
		}
		c.rule, c.kind, c.context = RuleDBPassword, "password in "+key, true
	case keyToken:
		if !tokenLike(val) {
			return
		}
		c.rule, c.kind, c.context = RuleCloudKey, "secret in "+key, false
	}
	emit(c)
}

// notSecret drops values that are placeholders, references to elsewhere,
// encrypted blobs or password hashes. code is true for source code, where
// prompts and format strings sit next to password keys.
func notSecret(key, val string, code bool) bool {
	l := strings.ToLower(val)
	switch {
	case isPlaceholder(val), strings.EqualFold(val, key):
		return true
	case strings.HasPrefix(val, "ENC(") || strings.HasPrefix(l, "vault:") ||
		strings.HasPrefix(l, "!vault") || strings.HasPrefix(l, "arn:aws:secretsmanager") ||
		strings.HasPrefix(l, "ref+") || strings.HasPrefix(l, "secretref") ||
		strings.HasPrefix(l, "scram-sha-256$") || strings.HasPrefix(l, "projects/"):
		return true
	case len(val) > 2 && val[0] == '{' && strings.IndexByte(val, '}') > 1:
		return true // {bcrypt}…, {SSHA}…: a hash
	case len(l) == 35 && strings.HasPrefix(l, "md5") && isHex(l[3:]):
		return true // a PostgreSQL md5 verifier
	case isDottedRef(val):
		return true
	}
	if code {
		if strings.ContainsAny(val, " \t\n") || strings.HasSuffix(val, ":") ||
			strings.Contains(val, "%s") || strings.Contains(val, "%v") ||
			strings.Contains(val, "{}") || strings.Contains(val, "{0}") {
			return true
		}
	}
	return false
}

// isDottedRef reports whether v is a dotted identifier path that names a
// setting, such as settings.DB_PASSWORD or process.env.TOKEN.
func isDottedRef(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || !isIdent(p) || strings.Contains(p, "-") || p[0] >= '0' && p[0] <= '9' {
			return false
		}
	}
	return mentionsSecret(strings.ToLower(v)) || strings.Contains(strings.ToLower(v), "env")
}

// tokenLike reports whether a value under a secret/token key looks like
// a machine secret: long, varied and not a word or identifier.
func tokenLike(v string) bool {
	if len(v) < 16 || strings.ContainsAny(v, " \t") || entropy(v) < 3.5 {
		return false
	}
	var lower, upper, digit bool
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return digit || lower && upper
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}
