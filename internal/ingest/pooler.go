package ingest

import (
	"net/netip"
	"strings"
)

// knownPoolers are the programs that pool connections in front of
// PostgreSQL, matched as a prefix of the application name.
var knownPoolers = []string{"pgbouncer", "pgpool", "odyssey", "pgcat", "supavisor", "pgagroal"}

// poolers tells the sessions that come through a connection pooler. It is
// deliberately simple: a session is through a pooler when its client
// address is one of the configured poolers' (an address, a CIDR prefix or
// a host name as the log writes it), or when it comes from the server
// itself (a loopback address or a Unix socket) with a pooler's program
// name, built in or configured. Such a session's client address is the
// pooler's, not the client's.
type poolers struct {
	prefixes []netip.Prefix
	hosts    map[string]bool
	names    []string
}

func newPoolers(entries []string) poolers {
	p := poolers{hosts: map[string]bool{}, names: knownPoolers}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if a, err := netip.ParseAddr(e); err == nil {
			p.prefixes = append(p.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if pre, err := netip.ParsePrefix(e); err == nil {
			p.prefixes = append(p.prefixes, pre.Masked())
			continue
		}
		p.hosts[strings.ToLower(e)] = true
		p.names = append(p.names, strings.ToLower(e))
	}
	return p
}

// via reports whether a session from addr with program app came through
// a pooler.
func (p poolers) via(addr, app string) bool {
	if addr == "" {
		return false
	}
	ip, err := netip.ParseAddr(addr)
	if err == nil {
		ip = ip.Unmap()
		for _, pre := range p.prefixes {
			if pre.Contains(ip) {
				return true
			}
		}
	} else if p.hosts[strings.ToLower(addr)] {
		return true
	}
	local := addr == "[local]" || strings.EqualFold(addr, "localhost") ||
		err == nil && ip.IsLoopback()
	if !local || app == "" {
		return false
	}
	app = strings.ToLower(app)
	for _, n := range p.names {
		if strings.HasPrefix(app, n) {
			return true
		}
	}
	return false
}
