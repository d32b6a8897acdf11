package inventory

import "strings"

// Redacted replaces a secret value wherever ward shows or stores one.
const Redacted = "[REDACTED]"

// SensitiveName reports whether a setting or option called name may hold
// a secret: ldapbindpasswd and radiussecrets in pg_hba.conf, or a custom
// app.api_key set with ALTER ROLE. password_encryption names an algorithm,
// not a secret.
func SensitiveName(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "password_encryption" {
		return false
	}
	for _, w := range []string{"passw", "pwd", "secret", "token", "credential", "key"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactAssignment redacts the value of a "name=value" string whose name
// suggests a secret, and returns other strings unchanged.
func RedactAssignment(s string) string {
	name, _, ok := strings.Cut(s, "=")
	if !ok || !SensitiveName(name) {
		return s
	}
	return name + "=" + Redacted
}

// RedactSecrets replaces, in place, every value of the snapshot that a
// source reports but that may be a secret: pg_hba options such as
// ldapbindpasswd, per-role settings and overrides whose names suggest a
// credential. Connectors call nothing; the scan pipeline calls this before
// the snapshot reaches rules, the store or a report.
func (s *Snapshot) RedactSecrets() {
	if pg := s.Postgres; pg != nil {
		for i := range pg.HBA {
			for j, o := range pg.HBA[i].Options {
				pg.HBA[i].Options[j] = RedactAssignment(o)
			}
		}
		for i := range pg.Overrides {
			if SensitiveName(pg.Overrides[i].Name) {
				pg.Overrides[i].Value = Redacted
			}
		}
		for k := range pg.Other {
			if SensitiveName(k) {
				pg.Other[k] = Redacted
			}
		}
	}
	for i := range s.Accounts {
		cfg := s.Accounts[i].Attributes.Config
		for j, c := range cfg {
			cfg[j] = RedactAssignment(c)
		}
	}
}
