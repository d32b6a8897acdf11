package secrets

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// stsHead starts a StatefulSet whose container env list follows.
const stsHead = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  template:
    spec:
      containers:
        - name: pg
          env:
`

func TestEnvEntries(t *testing.T) {
	const high = inventory.SeverityHigh
	tests := []struct {
		name, path, text string
		want             []want
	}{
		{"block style", "sts.yaml", stsHead +
			"            - name: POSTGRES_USER\n" +
			"              value: svc_ehr\n" +
			"            - name: POSTGRES_PASSWORD\n" +
			"              value: \"FAKE-sts-env-46\"\n",
			[]want{{RuleManifest, "svc_ehr", high, "FAKE-sts-env-46", 14}}},
		{"flow style", "sts.yaml", stsHead +
			"            - {name: PGHOST, value: pg.internal}\n" +
			"            - {name: PGPASSWORD, value: FAKE-flow-47}\n",
			[]want{{RuleManifest, "@pg.internal", high, "FAKE-flow-47", 12}}},
		{"value key before name", "sts.yaml", stsHead +
			"            - value: FAKE-before-48\n" +
			"              name: DB_PASSWORD\n",
			[]want{{RuleManifest, "DB_PASSWORD", high, "FAKE-before-48", 11}}},
		{"JSON task definition", "task.json",
			"{\"environment\": [\n  {\n    \"name\": \"DB_PASSWORD\",\n" +
				"    \"value\": \"FAKE-json-env-49\"\n  },\n" +
				"  {\"name\": \"DB_USER\", \"value\": \"svc_task\"}\n]}\n",
			[]want{{RuleDBPassword, "svc_task", high, "FAKE-json-env-49", 4}}},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkSecrets(t, s.ScanBytes(tc.path, []byte(tc.text)), tc.want)
		})
	}
}

func TestEnvEntriesNotFindings(t *testing.T) {
	tests := []struct{ name, text string }{
		{"secretKeyRef", "            - name: POSTGRES_PASSWORD\n" +
			"              valueFrom:\n                secretKeyRef:\n" +
			"                  name: pg\n                  key: password\n"},
		{"flow secretKeyRef", "            - {name: PGPASSWORD, valueFrom: {secretKeyRef: {name: pg, key: pw}}}\n"},
		{"variable", "            - name: DB_PASSWORD\n              value: ${X}\n"},
		{"flow variable", "            - {name: DB_PASSWORD, value: ${X}}\n"},
		{"dependent variable", "            - name: DB_PASSWORD\n              value: $(PG_PASS)\n"},
		{"placeholder", "            - name: DB_PASSWORD\n              value: changeme\n"},
		{"empty", "            - name: DB_PASSWORD\n              value: \"\"\n"},
		{"value of the next entry", "            - name: DB_PASSWORD\n" +
			"              valueFrom: {secretKeyRef: {name: pg, key: pw}}\n" +
			"            - name: LOG_LEVEL\n              value: debug-FAKE-50\n"},
		{"not a secret name", "            - name: DB_PASSWORD_FILE\n              value: /run/secrets/FAKE-51\n"},
	}
	s := newTestScanner(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, g := range s.ScanBytes("sts.yaml", []byte(stsHead+tc.text)) {
				t.Errorf("found %s %q line %d (%s)", g.RuleID, g.Identity.String(), g.Line, g.Kind)
			}
		})
	}
}

// BenchmarkEnvDense measures a hostile manifest: one long line of
// flow-style password entries, each of which asks for its env list.
func BenchmarkEnvDense(b *testing.B) {
	line := strings.Repeat("{name: PGPASSWORD, value: FAKE-dense-63x}, ", 20000)
	data := []byte(stsHead + "            env: [" + line + "]\n")
	s := newTestScanner(b, Options{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s.ScanBytes("sts.yaml", data)
	}
}
