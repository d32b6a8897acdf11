package config

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/wardsec/ward/internal/pglog"
)

// LogFormats are the values of a source's log_format.
var LogFormats = []string{"stderr", "csvlog", "jsonlog"}

// logs checks the log settings of source r (node n) and copies them to src:
// paths made absolute against the configuration's directory, a known
// format, a log_line_prefix PostgreSQL would accept, poolers that are
// addresses or names.
func (v *validator) logs(n *yaml.Node, field string, r rawSource, src *Source) {
	seq := child(n, "logs")
	for i, p := range r.Logs {
		if strings.TrimSpace(p) == "" {
			v.fail(lineOf(item(seq, i)), fmt.Sprintf("%s.logs[%d]", field, i),
				"empty: write a log file, a directory or a glob pattern, "+
					"such as /var/log/postgresql/*.csv")
			continue
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(v.dir, p)
		}
		src.Logs = append(src.Logs, p)
	}
	if f := r.LogFormat; f != "" && f != "auto" {
		if !contains(LogFormats, f) {
			v.fail(lineOf(child(n, "log_format")), field+".log_format",
				"%q is not a log format: use %s, or leave it out to detect it", f,
				strings.Join(LogFormats, ", "))
		}
		src.LogFormat = f
	}
	if p := r.LogLinePrefix; p != "" {
		if _, err := pglog.New(pglog.Options{Prefix: p}); err != nil {
			v.fail(lineOf(child(n, "log_line_prefix")), field+".log_line_prefix",
				"%v: copy the server's value (SHOW log_line_prefix)",
				strings.TrimPrefix(err.Error(), "pglog: "))
		}
		src.LogLinePrefix = p
	}
	poolers := child(n, "poolers")
	for i, p := range r.Poolers {
		p = strings.TrimSpace(p)
		if !goodPooler(p) {
			v.fail(lineOf(item(poolers, i)), fmt.Sprintf("%s.poolers[%d]", field, i),
				"%q: write the pooler's address (10.0.0.5, 10.0.0.0/24), host name or "+
					"program name (pgbouncer)", p)
			continue
		}
		src.Poolers = append(src.Poolers, p)
	}
}

// goodPooler accepts an IP address, a CIDR prefix, or a host or program
// name without spaces.
func goodPooler(p string) bool {
	if p == "" || strings.ContainsAny(p, " \t,") {
		return false
	}
	if _, err := netip.ParseAddr(p); err == nil {
		return true
	}
	if _, err := netip.ParsePrefix(p); err == nil {
		return true
	}
	return !strings.Contains(p, "/")
}
