package secrets

import (
	"net"
	"strings"
)

// Identity is who or what a credential lets its holder act as, as far as
// the text around the credential says: a database user on a host, a cloud
// key ID, a service-account e-mail, a Kubernetes namespace and account.
// Empty fields are unknown.
type Identity struct {
	// User is the database or registry user name.
	User string `json:"user,omitempty"`
	// Hosts are the server names or addresses the credential is for.
	Hosts []string `json:"hosts,omitempty"`
	// Port is the server port, when written.
	Port string `json:"port,omitempty"`
	// Database is the database, catalog or keyspace name.
	Database string `json:"database,omitempty"`
	// KeyID names a key: an AWS access key ID, a private key's public
	// fingerprint, a GCP private_key_id.
	KeyID string `json:"key_id,omitempty"`
	// Email is a service account's e-mail (GCP client_email).
	Email string `json:"email,omitempty"`
	// Namespace and Account name a Kubernetes service account.
	Namespace string `json:"namespace,omitempty"`
	Account   string `json:"account,omitempty"`
	// Label is a fallback name, such as the key that held a generic token.
	Label string `json:"label,omitempty"`
}

// String renders the identity in one stable form: user@host:port/database,
// namespace/account, the e-mail, the key ID or the label.
func (id Identity) String() string {
	switch {
	case id.Namespace != "" || id.Account != "":
		return "serviceaccount " + id.Namespace + "/" + id.Account
	case id.Email != "":
		if id.KeyID != "" {
			return id.Email + " key " + id.KeyID
		}
		return id.Email
	case id.User != "" || len(id.Hosts) > 0 || id.Database != "":
		var b strings.Builder
		b.WriteString(id.User)
		if len(id.Hosts) > 0 {
			b.WriteString("@" + strings.Join(id.Hosts, ","))
			if id.Port != "" {
				b.WriteString(":" + id.Port)
			}
		}
		if id.Database != "" {
			b.WriteString("/" + id.Database)
		}
		return b.String()
	case id.KeyID != "":
		return id.KeyID
	}
	return id.Label
}

// richness counts how much of an identity is known, to prefer the
// detector that says most when two find the same secret.
func (id Identity) richness() int {
	n := 0
	for _, s := range []string{id.User, id.Port, id.Database, id.KeyID, id.Email,
		id.Namespace, id.Account} {
		if s != "" {
			n++
		}
	}
	if len(id.Hosts) > 0 {
		n++
	}
	return n
}

// fill copies the fields of o that id lacks. Hosts and port travel
// together so a port never lands on another credential's host.
func (id *Identity) fill(o Identity) {
	if id.User == "" {
		id.User = o.User
	}
	if len(id.Hosts) == 0 && len(o.Hosts) > 0 {
		id.Hosts = append([]string(nil), o.Hosts...)
		id.Port = o.Port
	}
	if id.Database == "" {
		id.Database = o.Database
	}
	if id.KeyID == "" {
		id.KeyID = o.KeyID
	}
	if id.Email == "" {
		id.Email = o.Email
	}
}

// loopback reports whether every host of the identity is this machine:
// localhost, a loopback address or a Unix socket path. An identity with no
// host is not loopback.
func (id Identity) loopback() bool {
	if len(id.Hosts) == 0 {
		return false
	}
	for _, h := range id.Hosts {
		if !isLoopbackHost(h) {
			return false
		}
	}
	return true
}

func isLoopbackHost(h string) bool {
	h = strings.ToLower(strings.Trim(h, "[]"))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasPrefix(h, "/") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
