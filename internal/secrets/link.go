package secrets

import (
	"net/url"
	"strings"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

// Target is an inventoried source whose accounts a found credential may
// belong to.
type Target struct {
	Source string
	Type   string
	// Hosts and Port are where the source is reached, from its DSN.
	Hosts    []string
	Port     string
	Accounts []inventory.Account
}

// TargetsFrom pairs configured sources with their scanned snapshots.
// Sources without a snapshot are left out.
func TargetsFrom(srcs []config.Source, snaps []*inventory.Snapshot) []Target {
	bySource := map[string]*inventory.Snapshot{}
	for _, s := range snaps {
		if s != nil {
			bySource[s.Source] = s
		}
	}
	var out []Target
	for _, src := range srcs {
		snap := bySource[src.Name]
		if snap == nil {
			continue
		}
		t := Target{Source: src.Name, Type: src.Type, Accounts: snap.Accounts}
		t.Hosts, t.Port = dsnHost(src.DSN)
		out = append(out, t)
	}
	return out
}

// dsnHost reads the hosts and port of a PostgreSQL DSN, URL or key=value.
func dsnHost(dsn string) ([]string, string) {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		hosts, port := splitHosts(u.Host)
		if h := u.Query().Get("host"); h != "" && len(hosts) == 0 {
			hosts = []string{h}
		}
		return hosts, port
	}
	var hosts []string
	port := ""
	for _, f := range strings.Fields(dsn) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "host", "hostaddr":
			hosts = append(hosts, strings.Split(v, ",")...)
		case "port":
			port = v
		}
	}
	return hosts, port
}

// Link attributes findings to inventoried accounts. A database credential
// is linked when its user is an account of a PostgreSQL source whose
// host (and port, when both are written) it names, or, when it names no
// host, when exactly one source has an account of that name. A Kubernetes
// token is linked to the account namespace/name of a kubernetes source.
// A linked finding carries the account ID, says how it was matched, and is
// raised one level when the account reaches PHI, to critical when a login
// with the secret was verified live on that account's source (Verify).
// fs is not modified.
func Link(fs []inventory.Finding, secs []Secret, targets []Target) []inventory.Finding {
	byFP := map[string]Secret{}
	for _, s := range secs {
		if _, ok := byFP[s.Fingerprint]; !ok {
			byFP[s.Fingerprint] = s
		}
	}
	out := make([]inventory.Finding, len(fs))
	copy(out, fs)
	for i := range out {
		f := &out[i]
		sc, ok := byFP[f.Fingerprint]
		if !ok || f.AccountID != "" {
			continue
		}
		acct, src, how := match(sc.Identity, targets)
		if acct == nil {
			continue
		}
		f.AccountID = acct.ID
		f.Evidence = append(append([]string(nil), f.Evidence...), "linked to account "+acct.ID+": "+how)
		if reachesPHI(acct) {
			f.PHI = true
			f.Severity = f.Severity.Raise()
			if v := sc.Verification; v != nil && v.Status == VerifyLive && v.Source == src {
				f.Severity = inventory.SeverityCritical
			}
		}
	}
	return out
}

// match finds the account an identity names, with its source and how.
func match(id Identity, targets []Target) (*inventory.Account, string, string) {
	if id.Namespace != "" && id.Account != "" {
		for _, t := range targets {
			if t.Type != "kubernetes" {
				continue
			}
			if a := account(t, id.Namespace+"/"+id.Account); a != nil {
				return a, t.Source, "namespace and service account from the token's claims"
			}
		}
		return nil, "", ""
	}
	if id.User == "" {
		return nil, "", ""
	}
	var byName []*inventory.Account
	var byNameSrc []string
	for _, t := range targets {
		if t.Type != "postgres" {
			continue
		}
		a := account(t, id.User)
		if a == nil {
			continue
		}
		byName = append(byName, a)
		byNameSrc = append(byNameSrc, t.Source)
		if len(id.Hosts) > 0 && sameServer(id, t) {
			return a, t.Source, "user " + id.User + " and host " + strings.Join(id.Hosts, ",") +
				" match source " + t.Source
		}
	}
	if len(id.Hosts) == 0 && len(byName) == 1 {
		return byName[0], byNameSrc[0], "user " + id.User + " is an account of the only source that has it " +
			"(the credential names no host)"
	}
	return nil, "", ""
}

func account(t Target, name string) *inventory.Account {
	for i := range t.Accounts {
		if t.Accounts[i].Name == name {
			return &t.Accounts[i]
		}
	}
	return nil
}

// sameServer reports whether the credential's hosts and port name the
// target's server. Loopback names are equal to each other.
func sameServer(id Identity, t Target) bool {
	if id.Port != "" && t.Port != "" && id.Port != t.Port {
		return false
	}
	for _, h := range id.Hosts {
		for _, th := range t.Hosts {
			if strings.EqualFold(h, th) || isLoopbackHost(h) && isLoopbackHost(th) {
				return true
			}
		}
	}
	return false
}

func reachesPHI(a *inventory.Account) bool {
	for _, g := range a.Grants {
		if g.PHI {
			return true
		}
	}
	return false
}
