package usage

import (
	"strings"
	"testing"
)

func TestInteractiveAndFamily(t *testing.T) {
	tests := []struct {
		app         string
		family      string
		interactive bool
	}{
		{"psql", "psql", true},
		{"psql 15.4", "psql", true},
		{"DBeaver 23.1.0 - Main", "dbeaver", true},
		{"DBeaver 24.0.0 - SQLEditor <ehr>", "dbeaver", true},
		{"pgAdmin 4 - CONN:1234567", "pgadmin", true},
		{"DataGrip 2024.1", "datagrip", true},
		{"Azure Data Studio", "azure data studio", true},
		// A driver whose name starts like a tool is not the tool.
		{"psqlodbc", "psqlodbc", false},
		{"ehr-api/2.3.1", "ehr-api", false},
		{"ehr-api/2.4.0", "ehr-api", false},
		{"worker 1.2", "worker", false},
		{"etl v12", "etl", false},
		{"nightly,report", "nightly,report", false},
		{"PostgreSQL JDBC Driver", "postgresql jdbc driver", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			fam, ok := Interactive(tt.app)
			if ok != tt.interactive || (ok && fam != tt.family) {
				t.Errorf("Interactive(%q) = %q, %v; want %q, %v", tt.app, fam, ok, tt.family,
					tt.interactive)
			}
			if got := Family(tt.app); got != tt.family {
				t.Errorf("Family(%q) = %q, want %q", tt.app, got, tt.family)
			}
		})
	}
}

func TestParsePrograms(t *testing.T) {
	if len(interactiveTools()) < 10 {
		t.Errorf("programs.txt lists %d tools", len(interactiveTools()))
	}
	tests := []struct {
		name, text, wantErr string
	}{
		{"uppercase", "psql\nDBeaver\n", "line 2"},
		{"empty", "# nothing\n\n", "no entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parsePrograms(tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
