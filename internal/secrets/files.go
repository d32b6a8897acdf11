package secrets

import (
	"bytes"
	"encoding/json"
	"strings"
)

// detectPgpass reads a libpq password file: host:port:database:user:password
// per line, with \: and \\ escapes.
func detectPgpass(d *doc, emit func(candidate)) {
	off := 0
	for _, line := range bytes.Split(d.text, []byte{'\n'}) {
		start := off
		off += len(line) + 1
		s := strings.TrimRight(string(line), "\r")
		if strings.HasPrefix(strings.TrimSpace(s), "#") {
			continue
		}
		fields, at := splitPgpass(s)
		if len(fields) != 5 || isPlaceholder(fields[4]) {
			continue
		}
		c := candidate{rule: RuleDBPassword, kind: ".pgpass password", secret: fields[4],
			at: start + at, prio: 30}
		if fields[0] != "*" {
			c.id.Hosts = []string{fields[0]}
		}
		if fields[1] != "*" {
			c.id.Port = fields[1]
		}
		if fields[2] != "*" {
			c.id.Database = fields[2]
		}
		if fields[3] != "*" {
			c.id.User = fields[3]
		}
		emit(c)
	}
}

// splitPgpass splits a .pgpass line on unescaped colons and returns the
// offset of the fifth field.
func splitPgpass(s string) ([]string, int) {
	var fields []string
	var b strings.Builder
	at := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case s[i] == ':' && len(fields) < 4:
			fields = append(fields, b.String())
			b.Reset()
			if len(fields) == 4 {
				at = i + 1
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return append(fields, b.String()), at
}

// tfPasswordKeys are the attributes of Terraform resources that hold
// database and service passwords.
var tfUserKeys = []string{"username", "master_username", "administrator_login", "user", "login"}
var tfHostKeys = []string{"address", "endpoint", "fqdn", "host", "hostname"}
var tfDBKeys = []string{"db_name", "database_name", "database"}

// detectTFState reads Terraform state: the password-like attributes of
// each resource instance, named by the resource's user, host and database.
func detectTFState(d *doc, emit func(candidate)) {
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if json.Unmarshal(d.text, &st) != nil {
		return
	}
	for _, r := range st.Resources {
		for _, in := range r.Instances {
			for k, v := range in.Attributes {
				val, ok := v.(string)
				if !ok || classifyKey(k) != keyPassword || notSecret(k, val, false) || len(val) < 4 {
					continue
				}
				enc, _ := json.Marshal(val)
				at := bytes.Index(d.text, enc)
				if at < 0 {
					continue
				}
				c := candidate{rule: RuleDBPassword, kind: "password in Terraform state (" +
					r.Type + "." + r.Name + ")", secret: val, at: at + 1, prio: 30}
				c.id.User = firstString(in.Attributes, tfUserKeys)
				if h := firstString(in.Attributes, tfHostKeys); h != "" {
					c.id.Hosts, c.id.Port = splitHosts(h)
				}
				c.id.Database = firstString(in.Attributes, tfDBKeys)
				c.id.Label = r.Type + "." + r.Name
				emit(c)
			}
		}
	}
}

func firstString(m map[string]any, keys []string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}
