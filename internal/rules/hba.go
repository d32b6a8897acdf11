package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// reach says from where a pg_hba.conf line can be used.
type reach int

const (
	// reachLocal is a Unix-domain socket on the server host.
	reachLocal reach = iota
	// reachLoopback is TCP from the server host itself only: loopback
	// addresses, localhost, samehost.
	reachLoopback
	// reachRemote is TCP from other hosts, or an address ward cannot
	// place (treated as remote, the safe side).
	reachRemote
)

// isHostType reports whether t is a connection type of TCP lines.
func isHostType(t string) bool {
	switch strings.ToLower(t) {
	case "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc":
		return true
	}
	return false
}

// encrypted reports whether every connection a line matches is encrypted:
// hostssl by TLS, hostgssenc by GSSAPI.
func encrypted(r inventory.HBARule) bool {
	t := strings.ToLower(r.Type)
	return t == "hostssl" || t == "hostgssenc"
}

// hbaReach places a line. Local lines are sockets. For TCP lines the
// address decides: "all", samenet, host names and networks beyond loopback
// are remote; a line whose address cannot be parsed counts as remote.
func hbaReach(r inventory.HBARule) reach {
	if strings.EqualFold(r.Type, "local") {
		return reachLocal
	}
	addr := strings.TrimSpace(r.Address)
	switch strings.ToLower(addr) {
	case "samehost", "localhost":
		// samehost matches the server's own addresses only: the traffic
		// never leaves the host.
		return reachLoopback
	case "", "all", "samenet":
		return reachRemote
	}
	p, ok := hbaPrefix(addr, r.Netmask)
	if !ok {
		return reachRemote
	}
	if isLoopback(p) {
		return reachLoopback
	}
	return reachRemote
}

// hbaPrefix turns the address and netmask of a line into a prefix. It
// accepts the file's CIDR form ("10.0.0.0/8"), the view's split form
// (address "10.0.0.0", netmask "255.0.0.0"), and a bare address as a
// single host.
func hbaPrefix(addr, netmask string) (netip.Prefix, bool) {
	if strings.Contains(addr, "/") {
		p, err := netip.ParsePrefix(addr)
		if err != nil {
			return netip.Prefix{}, false
		}
		return unmapPrefix(p), true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, false
	}
	bits := a.BitLen()
	if netmask != "" {
		b, ok := maskBits(netmask)
		if !ok {
			return netip.Prefix{}, false
		}
		bits = b
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, false
	}
	return unmapPrefix(p), true
}

// unmapPrefix turns an IPv4-mapped IPv6 prefix (::ffff:127.0.0.1/128) into
// its IPv4 form.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if !a.Is4In6() || p.Bits() < 96 {
		return p
	}
	u, err := a.Unmap().Prefix(p.Bits() - 96)
	if err != nil {
		return p
	}
	return u
}

// maskBits converts a dotted or IPv6 netmask to its prefix length; a mask
// with holes is refused.
func maskBits(mask string) (int, bool) {
	m, err := netip.ParseAddr(mask)
	if err != nil {
		return 0, false
	}
	bits, ones := 0, true
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0; i-- {
			set := b&(1<<i) != 0
			switch {
			case set && !ones:
				return 0, false
			case set:
				bits++
			default:
				ones = false
			}
		}
	}
	return bits, true
}

var (
	loopback4 = netip.MustParsePrefix("127.0.0.0/8")
	loopback6 = netip.MustParsePrefix("::1/128")
)

// isLoopback reports whether every address of p is a loopback address.
func isLoopback(p netip.Prefix) bool {
	p = p.Masked()
	if p.Addr().Is4() {
		return p.Bits() >= loopback4.Bits() && loopback4.Contains(p.Addr())
	}
	return p == loopback6
}

// hbaAddress renders the address of a line as in the file, with a netmask
// folded into CIDR form when it is contiguous.
func hbaAddress(r inventory.HBARule) string {
	if r.Netmask == "" {
		return r.Address
	}
	if p, ok := hbaPrefix(r.Address, r.Netmask); ok {
		return p.String()
	}
	return r.Address + " " + r.Netmask
}

// hbaField renders a list of databases or users; a name with a space,
// comma or double quote is quoted as pg_hba.conf requires.
func hbaField(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		if n == "" || strings.ContainsAny(n, " \t,\"#") {
			n = `"` + strings.ReplaceAll(n, `"`, `""`) + `"`
		}
		out[i] = n
	}
	return strings.Join(out, ",")
}

// hbaScope is the part of a line that says which connections it matches:
// type, databases, users and, for TCP lines, the address.
func hbaScope(r inventory.HBARule) string {
	parts := []string{r.Type, hbaField(r.Database), hbaField(r.User)}
	if !strings.EqualFold(r.Type, "local") {
		parts = append(parts, hbaAddress(r))
	}
	return strings.Join(parts, " ")
}

// hbaText renders a line as it would read in pg_hba.conf, with secret
// option values (ldapbindpasswd, radiussecrets) redacted.
func hbaText(r inventory.HBARule) string {
	s := hbaScope(r) + " " + r.Method
	for _, o := range r.Options {
		s += " " + redactOption(o)
	}
	return s
}

// hbaResource names a line without its line number, so the finding keeps
// its fingerprint when lines are added above it. Two identical lines share
// a resource and are reported as one finding.
func hbaResource(r inventory.HBARule, withMethod bool) string {
	s := "pg_hba.conf:" + hbaScope(r)
	if withMethod {
		s += " " + r.Method
	}
	return s
}

// hbaEvidence is the evidence line for a pg_hba.conf line.
func hbaEvidence(r inventory.HBARule) string {
	return fmt.Sprintf("pg_hba.conf line %d: %s", r.Line, hbaText(r))
}

// hbaErrorNote says that a line has an error, so the running server may
// still use an older file.
func hbaErrorNote(r inventory.HBARule) []string {
	if r.Error == "" {
		return nil
	}
	return []string{fmt.Sprintf("pg_hba.conf line %d has an error (%s): the file on disk "+
		"does not load as it is, and the server may be running an older version", r.Line, r.Error)}
}

// hbaGroup collects the lines that share one resource, in file order.
type hbaGroup struct {
	resource string
	lines    []inventory.HBARule
}

// groupHBA groups the lines that match by resource, keeping the order in
// which each resource first appears.
func groupHBA(rules []inventory.HBARule, match func(inventory.HBARule) bool,
	withMethod bool) []hbaGroup {
	var out []hbaGroup
	idx := map[string]int{}
	for _, r := range rules {
		if !match(r) {
			continue
		}
		key := hbaResource(r, withMethod)
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, hbaGroup{resource: key})
		}
		out[i].lines = append(out[i].lines, r)
	}
	return out
}

// hbaEditFix is a pg_hba.conf edit: replace each line with its new form,
// then reload. The rollback puts the old lines back.
func hbaEditFix(lines []inventory.HBARule, edit func(inventory.HBARule) inventory.HBARule,
	note string) *inventory.Fix {
	var apply, rollback strings.Builder
	apply.WriteString("In pg_hba.conf:\n")
	rollback.WriteString("In pg_hba.conf:\n")
	secret := false
	for _, r := range lines {
		n := edit(r)
		const step = "  line %d: replace\n    %s\n  with\n    %s\n"
		fmt.Fprintf(&apply, step, r.Line, hbaText(r), hbaText(n))
		fmt.Fprintf(&rollback, step, r.Line, hbaText(n), hbaText(r))
		secret = secret || hasRedacted(r.Options)
	}
	reload := "Then reload the configuration as a superuser:\n  SELECT pg_reload_conf();\n"
	apply.WriteString(reload)
	rollback.WriteString(reload)

	notes := "Check the edited file before reloading: SELECT * FROM pg_hba_file_rules " +
		"WHERE error IS NOT NULL; must return no rows. Making the edit twice changes nothing."
	if note != "" {
		notes = note + " " + notes
	}
	if secret {
		notes += " Option values shown as [REDACTED] are secrets: keep the values in your file."
	}
	return &inventory.Fix{Language: "text", Apply: apply.String(), Rollback: rollback.String(),
		Notes: notes}
}

func hasRedacted(opts []string) bool {
	for _, o := range opts {
		if redactOption(o) != o {
			return true
		}
	}
	return false
}
