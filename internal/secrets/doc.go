// Package secrets finds hard-coded credentials of service accounts in
// source trees and git history: database passwords in URIs, JDBC URLs,
// connection strings, configuration keys and SQL; cloud keys (AWS key
// pairs, GCP service-account keys, Azure client secrets, Kubernetes
// service-account tokens, registry auths); and private keys. Each finding
// names the identity the credential belongs to (user@host/database, key
// ID, client e-mail, namespace/account) so it can be tied to an account.
//
// A keyword automaton (Aho-Corasick) runs once over each file; only the
// lines around its hits go through Go's linear-time regular expressions.
// Placeholders (${VAR}, <password>, changeme, xxxx) are not findings;
// credentials for loopback hosts are, at a lower severity.
//
// No secret leaves this package in printable form: a Secret holds it as
// a secret.Value, and shows a keyed hash and at most its first and last
// two characters.
package secrets
