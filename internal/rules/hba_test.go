package rules

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// withHBA replaces the snapshot's pg_hba.conf lines.
func withHBA(s *inventory.Snapshot, lines ...inventory.HBARule) *inventory.Snapshot {
	s.Postgres.HBA = lines
	return s
}

func withPG(s *inventory.Snapshot, f func(*inventory.PGSettings)) *inventory.Snapshot {
	f(s.Postgres)
	return s
}

func TestHBAReach(t *testing.T) {
	tests := []struct {
		name string
		rule inventory.HBARule
		want reach
	}{
		{"local socket", hba(1, "local", "all", "all", "", "trust"), reachLocal},
		{"loopback v4", hba(1, "host", "all", "all", "127.0.0.1/32", "trust"), reachLoopback},
		{"other loopback v4", hba(1, "host", "all", "all", "127.0.0.2/32", "trust"), reachLoopback},
		{"all of 127/8", hba(1, "host", "all", "all", "127.0.0.0/8", "trust"), reachLoopback},
		{"wider than 127/8", hba(1, "host", "all", "all", "126.0.0.0/7", "trust"), reachRemote},
		{"loopback v6", hba(1, "host", "all", "all", "::1/128", "trust"), reachLoopback},
		{"mapped loopback", hba(1, "host", "all", "all", "::ffff:127.0.0.1/128", "trust"), reachLoopback},
		{"v6 /127 around ::1", hba(1, "host", "all", "all", "::/127", "trust"), reachRemote},
		{"localhost", hba(1, "host", "all", "all", "localhost", "trust"), reachLoopback},
		{"samehost", hba(1, "host", "all", "all", "samehost", "trust"), reachLoopback},
		{"samenet", hba(1, "host", "all", "all", "samenet", "trust"), reachRemote},
		{"all", hba(1, "host", "all", "all", "all", "trust"), reachRemote},
		{"any v4", hba(1, "host", "all", "all", "0.0.0.0/0", "trust"), reachRemote},
		{"host name", hba(1, "host", "all", "all", ".example.org", "trust"), reachRemote},
		{"unparsable", hba(1, "host", "all", "all", "10.0.0.300/8", "trust"), reachRemote},
		{"empty address", hba(1, "host", "all", "all", "", "trust"), reachRemote},
		{"view form loopback", inventory.HBARule{Type: "host", Address: "127.0.0.1",
			Netmask: "255.255.255.255", Method: "trust"}, reachLoopback},
		{"view form remote", inventory.HBARule{Type: "host", Address: "192.0.2.0",
			Netmask: "255.255.255.0", Method: "trust"}, reachRemote},
		{"bare address is one host", inventory.HBARule{Type: "host", Address: "127.0.0.1",
			Method: "trust"}, reachLoopback},
		{"mask with holes", inventory.HBARule{Type: "host", Address: "127.0.0.1",
			Netmask: "255.0.255.0", Method: "trust"}, reachRemote},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hbaReach(tc.rule); got != tc.want {
				t.Errorf("hbaReach(%+v) = %d, want %d", tc.rule, got, tc.want)
			}
		})
	}
}

func TestHBAPrefixForms(t *testing.T) {
	split, ok := hbaPrefix("192.0.2.0", "255.255.255.0")
	cidr, ok2 := hbaPrefix("192.0.2.0/24", "")
	if !ok || !ok2 || split != cidr || split != netip.MustParsePrefix("192.0.2.0/24") {
		t.Errorf("split form %v (%v) and CIDR form %v (%v) differ", split, ok, cidr, ok2)
	}
	v6, ok := hbaPrefix("fe80::", "ffff:ffff:ffff:ffff::")
	if !ok || v6.Bits() != 64 {
		t.Errorf("IPv6 netmask gave %v, %v", v6, ok)
	}
}

func TestHBAText(t *testing.T) {
	r := inventory.HBARule{Line: 7, Type: "host", Database: []string{"ehr", "my db"},
		User: []string{"+clinical_read", `we"ird`}, Address: "192.0.2.0", Netmask: "255.255.255.0",
		Method: "ldap", Options: []string{"ldapserver=ldap.example.org",
			"ldapbindpasswd=CANARY-hba-1", "radiussecrets=CANARY-hba-2"}}
	got := hbaEvidence(r)
	want := `pg_hba.conf line 7: host ehr,"my db" +clinical_read,"we""ird" 192.0.2.0/24 ldap ` +
		`ldapserver=ldap.example.org ldapbindpasswd=[REDACTED] radiussecrets=[REDACTED]`
	if got != want {
		t.Errorf("hbaEvidence =\n %s\nwant\n %s", got, want)
	}
	if res := hbaResource(r, false); strings.Contains(res, "7") || strings.Contains(res, "ldap") {
		t.Errorf("resource %q must hold neither the line number nor the method", res)
	}
}

func TestHBATrust(t *testing.T) {
	const id = "PG-HBA-TRUST"
	crit, high, med := inventory.SeverityCritical, inventory.SeverityHigh, inventory.SeverityMedium
	runRule(t, id, []ruleCase{
		{name: "clean", snap: snap()},
		{
			name: "remote trust",
			snap: withHBA(snap(), hba(92, "host", "all", "all", "192.0.2.0/24", "trust")),
			want: []got{{"", "pg_hba.conf:host all all 192.0.2.0/24", crit}},
		},
		{
			name: "remote trust in the view's split form",
			snap: withHBA(snap(), inventory.HBARule{Line: 92, Type: "host", Database: []string{"all"},
				User: []string{"all"}, Address: "192.0.2.0", Netmask: "255.255.255.0", Method: "trust"}),
			want: []got{{"", "pg_hba.conf:host all all 192.0.2.0/24", crit}},
		},
		{
			name: "samenet trust",
			snap: withHBA(snap(), hba(5, "host", "all", "all", "samenet", "trust")),
			want: []got{{"", "pg_hba.conf:host all all samenet", crit}},
		},
		{
			name: "replication trust",
			snap: withHBA(snap(), hba(5, "hostnossl", "replication", "all", "10.1.0.0/16", "TRUST")),
			want: []got{{"", "pg_hba.conf:hostnossl replication all 10.1.0.0/16", crit}},
		},
		{
			name: "local trust is lower",
			snap: withHBA(snap(), hba(1, "local", "all", "all", "", "trust")),
			want: []got{{"", "pg_hba.conf:local all all", med}},
		},
		{
			name: "local trust on a PHI source is raised",
			snap: withPHIResource(withHBA(snap(), hba(1, "local", "all", "all", "", "trust"))),
			want: []got{{"", "pg_hba.conf:local all all", high}},
		},
		{
			name: "loopback trust is lower",
			snap: withHBA(snap(), hba(8, "host", "all", "all", "127.0.0.2/32", "trust")),
			want: []got{{"", "pg_hba.conf:host all all 127.0.0.2/32", med}},
		},
		{
			name: "hostssl trust with verify-full identifies the client",
			snap: withHBA(snap(), hba(5, "hostssl", "all", "all", "0.0.0.0/0", "trust",
				"clientcert=verify-full")),
		},
		{
			name: "hostssl trust with verify-ca does not",
			snap: withHBA(snap(), hba(5, "hostssl", "all", "all", "0.0.0.0/0", "trust",
				"clientcert=verify-ca")),
			want: []got{{"", "pg_hba.conf:hostssl all all 0.0.0.0/0", crit}},
		},
		{
			name: "identical lines are one finding",
			snap: withHBA(snap(), hba(3, "local", "all", "all", "", "trust"),
				hba(9, "local", "all", "all", "", "trust")),
			want: []got{{"", "pg_hba.conf:local all all", med}},
		},
		{
			name: "hba not readable",
			snap: withPG(snap(), func(p *inventory.PGSettings) { p.HBA, p.HBAFrom = nil, "" }),
		},
	})
}

func TestHBATrustEvidenceAndFix(t *testing.T) {
	s := withHBA(snap(),
		hba(3, "local", "all", "all", "", "trust"),
		hba(9, "local", "all", "all", "", "trust"),
		hba(92, "host", "all", "all", "192.0.2.0/24", "trust"))
	s.Postgres.HBA[2].Error = "some error"
	fs := Evaluate(Input{Snapshot: s})

	local := findOne(t, fs, "PG-HBA-TRUST", "", "pg_hba.conf:local all all")
	for _, want := range []string{"pg_hba.conf line 3: local all all trust",
		"pg_hba.conf line 9: local all all trust"} {
		if !hasEvidence(local, want) {
			t.Errorf("evidence lacks %q: %v", want, local.Evidence)
		}
	}
	if local.Fix == nil || !strings.Contains(local.Fix.Apply, "local all all peer") ||
		!strings.Contains(local.Fix.Apply, "SELECT pg_reload_conf();") {
		t.Errorf("local fix should switch to peer and reload: %+v", local.Fix)
	}

	remote := findOne(t, fs, "PG-HBA-TRUST", "", "pg_hba.conf:host all all 192.0.2.0/24")
	if !hasEvidence(remote, "pg_hba.conf line 92: host all all 192.0.2.0/24 trust") {
		t.Errorf("evidence lacks the line: %v", remote.Evidence)
	}
	if !hasEvidence(remote, "line 92 has an error (some error)") {
		t.Errorf("evidence lacks the line's error: %v", remote.Evidence)
	}
	if remote.Fix == nil || remote.Fix.Language != "text" ||
		!strings.Contains(remote.Fix.Apply, "host all all 192.0.2.0/24 scram-sha-256") ||
		!strings.Contains(remote.Fix.Rollback, "host all all 192.0.2.0/24 trust") {
		t.Errorf("remote fix = %+v", remote.Fix)
	}
}

func TestMD5Password(t *testing.T) {
	const id = "PG-MD5-PASSWORD"
	med, high, crit := inventory.SeverityMedium, inventory.SeverityHigh, inventory.SeverityCritical
	pwEnc := func(v string) func(*inventory.PGSettings) {
		return func(p *inventory.PGSettings) { p.PasswordEncryption = v }
	}
	override := func(role, db, value string) func(*inventory.PGSettings) {
		return func(p *inventory.PGSettings) {
			p.Overrides = append(p.Overrides, inventory.RoleSetting{Role: role, Database: db,
				Name: "password_encryption", Value: value})
		}
	}
	runRule(t, id, []ruleCase{
		{name: "clean", snap: snap()},
		{
			name: "md5 line",
			snap: withHBA(snap(), hba(2, "host", "ehr", "legacy_md5_svc", "127.0.0.1/32", "md5")),
			want: []got{{"", "pg_hba.conf:host ehr legacy_md5_svc 127.0.0.1/32 md5", med}},
		},
		{
			name: "password over plain TCP from other hosts",
			snap: withHBA(snap(), hba(7, "host", "all", "all", "samenet", "password")),
			want: []got{{"", "pg_hba.conf:host all all samenet password", high}},
		},
		{
			name: "cleartext password on a PHI source",
			snap: withPHIResource(withHBA(snap(), hba(7, "host", "all", "all", "samenet", "password"))),
			want: []got{{"", "pg_hba.conf:host all all samenet password", crit}},
		},
		{
			name: "password inside TLS",
			snap: withHBA(snap(), hba(7, "hostssl", "all", "all", "10.0.0.0/8", "password")),
			want: []got{{"", "pg_hba.conf:hostssl all all 10.0.0.0/8 password", med}},
		},
		{
			name: "password on the local socket",
			snap: withHBA(snap(), hba(7, "local", "all", "all", "", "password")),
			want: []got{{"", "pg_hba.conf:local all all password", med}},
		},
		{
			name: "password over loopback",
			snap: withHBA(snap(), hba(7, "host", "all", "all", "::1/128", "password")),
			want: []got{{"", "pg_hba.conf:host all all ::1/128 password", med}},
		},
		{
			name: "password_encryption md5",
			snap: withPG(snap(), pwEnc("md5")),
			want: []got{{"", "password_encryption", med}},
		},
		{name: "password_encryption not read", snap: withPG(snap(), pwEnc(""))},
		{name: "password_encryption in capitals", snap: withPG(snap(), pwEnc("SCRAM-SHA-256"))},
		{
			name: "per-role override",
			snap: withPG(snap(svc("legacy_svc")), override("legacy_svc", "", "md5")),
			want: []got{{"ehr/legacy_svc", "password_encryption", med}},
		},
		{
			name: "per-database override",
			snap: withPG(snap(), override("", "ehr", "md5")),
			want: []got{{"", "database ehr: password_encryption", med}},
		},
		{
			name: "override to scram",
			snap: withPG(snap(svc("legacy_svc")), override("legacy_svc", "", "scram-sha-256")),
		},
	})
}

func TestMD5Evidence(t *testing.T) {
	s := withHBA(snap(), hba(2, "host", "ehr", "legacy_md5_svc", "127.0.0.1/32", "md5"))
	s.Postgres.PasswordEncryption = "md5"
	fs := Evaluate(Input{Snapshot: s})

	line := findOne(t, fs, "PG-MD5-PASSWORD", "", "pg_hba.conf:host ehr legacy_md5_svc 127.0.0.1/32 md5")
	if !hasEvidence(line, "still runs SCRAM") ||
		!hasEvidence(line, "pg_authid is readable only by superusers") {
		t.Errorf("md5 evidence must say what ward can and cannot know: %v", line.Evidence)
	}

	setting := findOne(t, fs, "PG-MD5-PASSWORD", "", "password_encryption")
	if setting.Fix == nil {
		t.Fatal("password_encryption finding has no fix")
	}
	want := "ALTER SYSTEM SET password_encryption = 'scram-sha-256';\nSELECT pg_reload_conf();\n"
	if setting.Fix.Apply != want {
		t.Errorf("apply = %q, want %q", setting.Fix.Apply, want)
	}
	want = "ALTER SYSTEM SET password_encryption = 'md5';\nSELECT pg_reload_conf();\n"
	if setting.Fix.Rollback != want {
		t.Errorf("rollback = %q, want %q", setting.Fix.Rollback, want)
	}
	if strings.Contains(setting.Fix.Apply, "BEGIN") {
		t.Error("ALTER SYSTEM cannot run in a transaction block; the fix must not open one")
	}
}

func TestHBANoTLS(t *testing.T) {
	const id = "PG-HBA-NO-TLS"
	high, crit := inventory.SeverityHigh, inventory.SeverityCritical
	sslOff := func(p *inventory.PGSettings) { p.SSL = "off" }
	runRule(t, id, []ruleCase{
		// The clean settings hold a loopback host line and a remote reject
		// line: neither is a finding.
		{name: "clean", snap: snap()},
		{
			name: "remote host line",
			snap: withHBA(snap(), hba(4, "host", "all", "+clinical_read", "10.0.0.0/8", "scram-sha-256")),
			want: []got{{"", "pg_hba.conf:host all +clinical_read 10.0.0.0/8", high}},
		},
		{
			name: "hostnossl",
			snap: withHBA(snap(), hba(4, "hostnossl", "all", "all", "0.0.0.0/0", "md5")),
			want: []got{{"", "pg_hba.conf:hostnossl all all 0.0.0.0/0", high}},
		},
		{
			name: "on a PHI source",
			snap: withPHIResource(withHBA(snap(), hba(4, "host", "all", "all", "all", "scram-sha-256"))),
			want: []got{{"", "pg_hba.conf:host all all all", crit}},
		},
		{name: "hostssl", snap: withHBA(snap(), hba(4, "hostssl", "all", "all", "0.0.0.0/0", "md5"))},
		{name: "hostgssenc", snap: withHBA(snap(), hba(4, "hostgssenc", "all", "all", "0.0.0.0/0", "gss"))},
		{name: "loopback v6", snap: withHBA(snap(), hba(4, "host", "all", "all", "::1/128", "password"))},
		{name: "remote reject", snap: withHBA(snap(), hba(4, "host", "all", "all", "0.0.0.0/0", "reject"))},
		{name: "local socket", snap: withHBA(snap(), hba(4, "local", "all", "all", "", "password"))},
		{
			name: "ssl off with a remote hostssl line",
			snap: withPG(withHBA(snap(), hba(5, "hostssl", "all", "all", "0.0.0.0/0", "md5")), sslOff),
			want: []got{{"", "ssl", high}},
		},
		{
			name: "ssl off with a remote host line",
			snap: withPG(withHBA(snap(), hba(5, "host", "all", "all", "0.0.0.0/0", "md5")), sslOff),
			want: []got{{"", "pg_hba.conf:host all all 0.0.0.0/0", high}, {"", "ssl", high}},
		},
		{
			name: "ssl off with loopback and reject lines only",
			snap: withPG(withHBA(snap(), hba(3, "host", "all", "all", "127.0.0.1/32", "scram-sha-256"),
				hba(4, "host", "all", "all", "0.0.0.0/0", "reject")), sslOff),
		},
	})
}

func TestHBANoTLSEvidenceAndFix(t *testing.T) {
	s := withHBA(snap(), hba(4, "host", "all", "all", "10.0.0.0/8", "ldap",
		"ldapserver=ldap.example.org", "ldapbindpasswd=CANARY-ldap"))
	s.Postgres.SSL = "off"
	fs := Evaluate(Input{Snapshot: s})

	f := findOne(t, fs, "PG-HBA-NO-TLS", "", "pg_hba.conf:host all all 10.0.0.0/8")
	if !hasEvidence(f, "line 4 uses ldap, which sends the password itself") {
		t.Errorf("evidence does not warn about the cleartext method: %v", f.Evidence)
	}
	if !hasEvidence(f, "ssl = off, so no connection can use TLS") {
		t.Errorf("evidence does not mention ssl = off: %v", f.Evidence)
	}
	if f.Fix == nil || !strings.Contains(f.Fix.Apply, "hostssl all all 10.0.0.0/8 ldap") ||
		!strings.Contains(f.Fix.Notes, "[REDACTED]") {
		t.Errorf("fix = %+v", f.Fix)
	}

	ssl := findOne(t, fs, "PG-HBA-NO-TLS", "", "ssl")
	if ssl.Fix == nil || !strings.HasPrefix(ssl.Fix.Apply, "ALTER SYSTEM SET ssl = 'on';") {
		t.Errorf("ssl fix = %+v", ssl.Fix)
	}
}
