package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
)

func TestWatchRefuses(t *testing.T) {
	dir := t.TempDir()
	logs := "    logs: [" + dir + "]\n"
	source := "sources:\n  - name: ehr\n    type: postgres\n" +
		"    dsn: postgres://scanner@127.0.0.1/ehr\n"
	tests := []struct {
		name, yaml string
		args       []string
		want       string
	}{
		{"no source lists logs", source, nil, "no source in"},
		{"unknown source", source + logs, []string{"--source", "lab"},
			"--source lab: no such source"},
		{"named source without logs", source, []string{"--source", "ehr"},
			"source ehr lists no logs"},
		{"alerts go nowhere", source + logs + "alerts:\n  stdout: false\n", nil,
			"alerts would go nowhere"},
		{"webhook secret not set", source + logs + "alerts:\n  webhook:\n" +
			"    url: https://127.0.0.1:9/hook\n    secret: ${env:WARD_TEST_UNSET_HOOK}\n",
			nil, "alerts.webhook.secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeConfig(t, t.TempDir(), tt.yaml)
			code, stdout, stderr := run(t, append([]string{"watch", "-c", cfg}, tt.args...)...)
			if code != ExitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout holds %q; it is for alerts only", stdout)
			}
		})
	}
}

func TestWatchInventoryFromStore(t *testing.T) {
	setupEstate(t)
	dir := t.TempDir()
	t.Setenv("WARD_TEST_SCANNER_PW", scannerPW)
	path := writeConfig(t, dir, fmt.Sprintf(`store: ward.db
sources:
  - name: clinic
    type: postgres
    dsn: postgres://ward_scanner@127.0.0.1:%d/clinic?sslmode=disable
    password: ${env:WARD_TEST_SCANNER_PW}
    logs: [%s]
`, srv.Port, dir))
	cfg, err := config.LoadWithoutSecrets(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Before any scan: no store, kinds by name only.
	accounts, resources, note, err := latestInventory(ctx, cfg)
	if err != nil || len(accounts) != 0 || len(resources) != 0 ||
		!strings.Contains(note, "by name only") {
		t.Fatalf("without a store: %d accounts, %d sources, %q, %v", len(accounts),
			len(resources), note, err)
	}

	if code, _, stderr := run(t, "scan", "-c", path); code != ExitOK && code != ExitFindings {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	accounts, resources, note, err = latestInventory(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]inventory.Kind{}
	for _, a := range accounts {
		kinds[a.ID] = a.Kind
	}
	if kinds["clinic/etl_loader"] != inventory.KindService ||
		kinds["clinic/contractor_jsmith"] == inventory.KindService {
		t.Errorf("kinds = %v", kinds)
	}
	phi := false
	for _, r := range resources["clinic"] {
		if r.Name == "clinic.clinical.patient" {
			phi = r.PHI
		}
	}
	if !phi || !strings.Contains(note, "from scan") {
		t.Errorf("clinic.clinical.patient PHI %v, note %q", phi, note)
	}
}
