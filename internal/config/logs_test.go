package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const logsSource = `sources:
  - name: ehr
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:5432/ehr
`

func TestSourceLogs(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "ward.yaml", `policy:
  event_retention: 2w
`+logsSource+`    logs:
      - pglog/
      - /var/log/postgresql/*.csv
    log_format: stderr
    log_line_prefix: '%m [%p] %q%u@%d '
    poolers: [127.0.0.1, 10.1.0.0/16, pgbouncer]
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Source{Name: "ehr", Type: "postgres", DSN: "postgres://ward_scanner@127.0.0.1:5432/ehr",
		Logs:      []string{filepath.Join(dir, "pglog"), "/var/log/postgresql/*.csv"},
		LogFormat: "stderr", LogLinePrefix: "%m [%p] %q%u@%d ",
		Poolers: []string{"127.0.0.1", "10.1.0.0/16", "pgbouncer"}, Line: 4}
	if diff := cmp.Diff(want, c.Sources[0], cmpopts.IgnoreFields(Source{}, "Password")); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	if c.Policy.EventRetention != 14*24*time.Hour {
		t.Errorf("event_retention = %v, want 336h", c.Policy.EventRetention)
	}
}

func TestSourceLogsErrors(t *testing.T) {
	tests := []struct {
		name, extra, field string
		line               int
	}{
		{"unknown format", "    log_format: syslog\n", "sources[0].log_format", 7},
		{"bad prefix", "    log_line_prefix: '%m [%p] %Z '\n", "sources[0].log_line_prefix", 7},
		{"empty log path", "    logs: ['']\n", "sources[0].logs[0]", 7},
		{"bad pooler", "    poolers:\n      - 10.0.0.0/99\n", "sources[0].poolers[0]", 8},
		{"bad retention", "", "policy.event_retention", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			policy := "policy:\n  event_retention: 400\n"
			if tc.field != "policy.event_retention" {
				policy = "policy:\n  unused_after: 90d\n"
			}
			_, err := Parse("ward.yaml", []byte(policy+logsSource+tc.extra))
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("Parse error = %v, want one error", err)
			}
			if es[0].Field != tc.field || es[0].Line != tc.line {
				t.Errorf("error %q at %s line %d, want %s line %d", es[0].Msg, es[0].Field,
					es[0].Line, tc.field, tc.line)
			}
			if strings.TrimSpace(es[0].Msg) == "" {
				t.Error("error without a message")
			}
		})
	}
}
