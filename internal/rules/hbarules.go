package rules

import (
	"fmt"
	"strings"

	"github.com/wardsec/ward/internal/inventory"
)

// checkHBATrust is PG-HBA-TRUST: one finding per distinct trust line. A
// line from other hosts is critical; the local socket and the server's own
// loopback addresses take the lower "local" variant, because only accounts
// on the server host can use them.
func checkHBATrust(e *eval, r Rule) []inventory.Finding {
	pg := e.snap.Postgres
	if pg == nil {
		return nil
	}
	isTrust := func(h inventory.HBARule) bool {
		return strings.EqualFold(h.Method, "trust") && !certIdentified(h)
	}

	var out []inventory.Finding
	for _, g := range groupHBA(pg.HBA, isTrust, false) {
		first := g.lines[0]
		where := hbaReach(first)
		t := target{resource: g.resource}
		for _, h := range g.lines {
			t.evidence = append(t.evidence, hbaEvidence(h))
		}
		switch where {
		case reachRemote:
			t.evidence = append(t.evidence, "trust: any client that can reach the server "+
				"from "+addressText(first)+" can log in as any role it names, superusers "+
				"included, without a password")
		case reachLoopback:
			t.variant = "local"
			t.evidence = append(t.evidence, "trust from the server host itself: any process "+
				"or user on that host can log in as any role, superusers included")
		default:
			t.variant = "local"
			t.evidence = append(t.evidence, "trust on the local socket: any operating-system "+
				"user on the server host can log in as any role, superusers included")
		}
		for _, h := range g.lines {
			t.evidence = append(t.evidence, hbaErrorNote(h)...)
		}
		t.fix = trustFix(g.lines, where)
		out = append(out, e.finding(r, e.sourceTarget(t)))
	}
	return out
}

// certIdentified reports whether a trust line still identifies the client:
// on hostssl, clientcert=verify-full checks that the certificate's name
// matches the role, which amounts to certificate authentication.
func certIdentified(h inventory.HBARule) bool {
	if !strings.EqualFold(h.Type, "hostssl") {
		return false
	}
	for _, o := range h.Options {
		if strings.EqualFold(strings.TrimSpace(o), "clientcert=verify-full") {
			return true
		}
	}
	return false
}

func addressText(h inventory.HBARule) string {
	if a := hbaAddress(h); a != "" {
		return a
	}
	return "any address"
}

func trustFix(lines []inventory.HBARule, where reach) *inventory.Fix {
	if where == reachLocal {
		return hbaEditFix(lines, withMethod("peer"),
			"peer lets an operating-system user log in only as the role of the same "+
				"name; use scram-sha-256 where the names differ.")
	}
	return hbaEditFix(lines, withMethod("scram-sha-256"),
		"Before reloading, give every role that logs in on these lines a password "+
			"(stored as SCRAM), or its logins will fail.")
}

// withMethod returns an edit that sets a line's method.
func withMethod(method string) func(inventory.HBARule) inventory.HBARule {
	return func(h inventory.HBARule) inventory.HBARule {
		h.Method = method
		return h
	}
}

// checkMD5Password is PG-MD5-PASSWORD: md5 and password lines in
// pg_hba.conf, password_encryption on the server, and per-role or
// per-database overrides of password_encryption.
func checkMD5Password(e *eval, r Rule) []inventory.Finding {
	pg := e.snap.Postgres
	if pg == nil {
		return nil
	}
	weak := func(h inventory.HBARule) bool {
		m := strings.ToLower(h.Method)
		return m == "md5" || m == "password"
	}

	var out []inventory.Finding
	for _, g := range groupHBA(pg.HBA, weak, true) {
		out = append(out, e.finding(r, e.sourceTarget(md5LineTarget(g))))
	}

	if v := strings.TrimSpace(pg.PasswordEncryption); v != "" && !isSCRAM(v) {
		t := target{
			resource: "password_encryption",
			evidence: []string{
				"password_encryption = " + v + ": passwords set from now on are stored " +
					"as MD5 verifiers, and whoever obtains one can log in with it on md5 " +
					"lines without knowing the password",
			},
			fix: systemFix("password_encryption", "scram-sha-256", v, false,
				"Existing MD5 verifiers stay until each password is set again."),
		}
		out = append(out, e.finding(r, e.sourceTarget(t)))
	}

	for _, o := range e.overrides() {
		if o.name != "password_encryption" || isSCRAM(o.value) {
			continue
		}
		t, ok := e.overrideTarget(r, o)
		if !ok {
			continue
		}
		t.evidence = []string{o.evidence() + ": passwords set in these sessions " +
			"are stored as MD5 verifiers"}
		t.fix = resetFix(o)
		out = append(out, e.finding(r, t))
	}
	return out
}

func isSCRAM(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "scram-sha-256") }

// verifierNote is what ward can and cannot know about an md5 line.
const verifierNote = "an md5 line still runs SCRAM for a role whose stored verifier is " +
	"SCRAM (and the server log still says method=md5); ward cannot tell which roles " +
	"store MD5 verifiers, because pg_authid is readable only by superusers"

func md5LineTarget(g hbaGroup) target {
	first := g.lines[0]
	t := target{resource: g.resource}
	for _, h := range g.lines {
		t.evidence = append(t.evidence, hbaEvidence(h))
	}

	if strings.EqualFold(first.Method, "md5") {
		t.evidence = append(t.evidence, "md5: a role with an MD5 verifier logs in with "+
			"an MD5 challenge, and its stored hash is enough to log in", verifierNote)
	} else {
		msg := "password: the client sends the password itself"
		switch {
		case strings.EqualFold(first.Type, "local"):
			msg += ", over the local socket"
		case encrypted(first):
			msg += ", inside the encrypted connection"
		case hbaReach(first) == reachLoopback:
			msg += " in clear text, over loopback only"
		default:
			t.variant = "cleartext"
			msg += " in clear text across the network: this line does not require TLS"
		}
		t.evidence = append(t.evidence, msg)
	}

	for _, h := range g.lines {
		t.evidence = append(t.evidence, hbaErrorNote(h)...)
	}
	t.fix = hbaEditFix(g.lines, withMethod("scram-sha-256"),
		"Before reloading, make sure every role that logs in on these lines stores a "+
			"SCRAM verifier (password_encryption = scram-sha-256, then set its password "+
			"again): a role with an MD5 verifier cannot log in on a scram-sha-256 line.")
	return t
}

// sendsPassword reports whether a method sends the password itself to the server, so on a
// connection without encryption the password crosses the network in clear.
func sendsPassword(method string) bool {
	switch strings.ToLower(method) {
	case "password", "ldap", "radius", "pam", "bsd":
		return true
	}
	return false
}

// checkHBANoTLS is PG-HBA-NO-TLS: TCP lines that accept connections from
// other hosts without encryption, and ssl = off while such lines exist.
//
// Lines reachable only from the server host (loopback addresses, localhost,
// samehost) are not findings: that traffic never leaves the host's kernel,
// so there is no network on which to read it, and whoever can capture it
// there already controls the server. reject lines are never findings: they
// let nothing in.
func checkHBANoTLS(e *eval, r Rule) []inventory.Finding {
	pg := e.snap.Postgres
	if pg == nil {
		return nil
	}
	sslOff := isOff(pg.SSL)
	remote := func(h inventory.HBARule) bool {
		return isHostType(h.Type) && !strings.EqualFold(h.Method, "reject") &&
			hbaReach(h) == reachRemote
	}
	plain := func(h inventory.HBARule) bool { return remote(h) && !encrypted(h) }

	var out []inventory.Finding
	for _, g := range groupHBA(pg.HBA, plain, false) {
		t := target{resource: g.resource}
		for _, h := range g.lines {
			t.evidence = append(t.evidence, hbaEvidence(h))
		}
		t.evidence = append(t.evidence, noTLSReason(g.lines[0], sslOff))
		for _, h := range g.lines {
			if sendsPassword(h.Method) {
				t.evidence = append(t.evidence, fmt.Sprintf("line %d uses %s, which sends "+
					"the password itself over the connection", h.Line, h.Method))
			}
			t.evidence = append(t.evidence, hbaErrorNote(h)...)
		}
		t.fix = hbaEditFix(g.lines, func(h inventory.HBARule) inventory.HBARule {
			h.Type = "hostssl"
			return h
		}, "Turn ssl on first, and have clients connect with sslmode=verify-full "+
			"(sslmode=require encrypts without checking the server's certificate).")
		out = append(out, e.finding(r, e.sourceTarget(t)))
	}

	if sslOff {
		var lines []string
		for _, h := range pg.HBA {
			if remote(h) {
				lines = append(lines, hbaEvidence(h))
			}
		}
		if len(lines) > 0 {
			t := target{
				resource: "ssl",
				evidence: append([]string{fmt.Sprintf("ssl = %s: the server accepts no TLS "+
					"connections, and %s accept connections from other hosts",
					pg.SSL, plural(len(lines), "pg_hba.conf line"))}, capList(lines)...),
				fix: systemFix("ssl", "on", pg.SSL, false, "Before reloading, ssl_cert_file and "+
					"ssl_key_file must name a certificate and key the server can read; "+
					"check the server log after the reload."),
			}
			out = append(out, e.finding(r, e.sourceTarget(t)))
		}
	}
	return out
}

func noTLSReason(h inventory.HBARule, sslOff bool) string {
	var s string
	switch strings.ToLower(h.Type) {
	case "hostnossl":
		s = "hostnossl matches only connections without TLS"
	case "hostnogssenc":
		s = "hostnogssenc matches only connections without GSSAPI encryption, TLS not required"
	default:
		s = "host accepts connections with or without TLS: the client decides"
	}
	s += ", from " + addressText(h)
	if sslOff {
		s += "; and ssl = off, so no connection can use TLS"
	}
	return s
}

// isOff reports whether a boolean setting's value is off. An empty value
// (not read) is not off.
func isOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "false", "no", "0":
		return true
	}
	return false
}
