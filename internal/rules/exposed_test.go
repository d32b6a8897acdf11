package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// exposure is a credential found at file:line, written by admin_bob.
func exposure(kind inventory.ExposureKind, account, file string, line int64) inventory.Exposure {
	return inventory.Exposure{Kind: kind, Account: account, Command: "ALTER ROLE",
		Field: "statement", Source: "ehr", Time: ago(time.Hour), SessionUser: "admin_bob",
		Database: "ehr", ClientAddr: "10.0.0.8", Application: "iam-sync",
		Pos: inventory.Position{File: file, Line: line, Offset: line * 100}}
}

func TestExposedInLogs(t *testing.T) {
	const id = "CRED-EXPOSED-IN-LOGS"
	high, crit := inventory.SeverityHigh, inventory.SeverityCritical
	pw := inventory.ExposureRolePassword
	runUsageRule(t, id, []usageCase{
		{name: "nothing exposed", snap: snap(svc("app_svc"))},
		{
			name: "a role's password",
			snap: snap(svc("app_svc")),
			xs:   []inventory.Exposure{exposure(pw, "app_svc", "pg.csv", 36)},
			want: []got{{"ehr/app_svc", "role_password at pg.csv:36", high}},
		},
		{
			name: "the same place reported twice",
			snap: snap(svc("app_svc")),
			xs: []inventory.Exposure{exposure(pw, "app_svc", "pg.csv", 36),
				exposure(pw, "app_svc", "pg.csv", 36)},
			want: []got{{"ehr/app_svc", "role_password at pg.csv:36", high}},
		},
		{
			name: "two places",
			snap: snap(svc("app_svc")),
			xs: []inventory.Exposure{exposure(pw, "app_svc", "pg.csv", 36),
				exposure(pw, "app_svc", "pg.csv.1", 2)},
			want: []got{{"ehr/app_svc", "role_password at pg.csv.1:2", high},
				{"ehr/app_svc", "role_password at pg.csv:36", high}},
		},
		{
			name: "a person's password, reaching PHI",
			snap: snap(with(svc("alice"), kind(inventory.KindHuman),
				grants(phiGrant("ehr.clinical.patient")))),
			xs:   []inventory.Exposure{exposure(pw, "alice", "pg.csv", 3)},
			want: []got{{"ehr/alice", "role_password at pg.csv:3", crit}},
		},
		{
			// Dropped since: still a finding, the password may be reused.
			name: "a role not in the scan",
			snap: snap(svc("app_svc")),
			xs:   []inventory.Exposure{exposure(pw, "temp_contractor", "pg.csv", 51)},
			want: []got{{"ehr/temp_contractor", "role_password at pg.csv:51", high}},
		},
		{
			name: "a connection string naming no role",
			snap: snap(svc("app_svc")),
			xs:   []inventory.Exposure{exposure(inventory.ExposureDSN, "", "pg.csv", 9)},
			want: []got{{"", "dsn at pg.csv:9", high}},
		},
		{
			name: "no line known",
			snap: snap(svc("app_svc")),
			xs:   []inventory.Exposure{exposure(pw, "app_svc", "pg.json", 0)},
			want: []got{{"ehr/app_svc", "role_password at pg.json@0", high}},
		},
	})
}

func TestExposedInLogsEvidence(t *testing.T) {
	x := exposure(inventory.ExposureUserMapping, "app_svc", "pg.csv", 7)
	x.Server, x.RemoteUser, x.Command = "canary_srv", "remote_user", "CREATE USER MAPPING"
	x.Application = "deploy password=CANARY-app-name"
	f := findUsage(t, snap(svc("app_svc")), nil, "CRED-EXPOSED-IN-LOGS", "ehr/app_svc",
		"user_mapping at pg.csv:7", x)
	for _, want := range []string{
		"the password of the user mapping for app_svc on foreign server canary_srv (remote " +
			"user remote_user) was written to the log in clear text at pg.csv:7, in the " +
			"statement of a record of 2026-12-04T09:00:00Z (command CREATE USER MAPPING)",
		`written by a session of admin_bob on database ehr from 10.0.0.8 (application ` +
			`"[REDACTED]")`,
		"the log itself, its copies and its backups still hold it",
	} {
		if !hasEvidence(f, want) {
			t.Errorf("evidence lacks %q:\n%s", want, strings.Join(f.Evidence, "\n"))
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "CANARY") {
		t.Errorf("a canary reached the finding: %s", b)
	}
}
