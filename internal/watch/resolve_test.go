package watch

import (
	"slices"
	"testing"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/phi"
)

func TestKinds(t *testing.T) {
	k := NewKinds([]inventory.Account{
		{ID: "ehr/reporting", Name: "reporting", Kind: inventory.KindService},
		{Source: "ehr", Name: "etl_loader", Kind: inventory.KindHuman},
	}, []config.Owner{{Account: "ehr/nightly", Owner: "ops"}})
	tests := []struct {
		source, user string
		want         inventory.Kind
	}{
		{"ehr", "reporting", inventory.KindService},  // from the scan
		{"ehr", "etl_loader", inventory.KindHuman},   // the scan wins over the name
		{"lab", "etl_loader", inventory.KindService}, // another source: by name
		{"ehr", "billing_api_svc", inventory.KindService},
		{"ehr", "maria.lopez", inventory.KindHuman},
		{"ehr", "nightly", inventory.KindService}, // listed in the owners file
	}
	for _, tt := range tests {
		t.Run(tt.source+"/"+tt.user, func(t *testing.T) {
			if got := k.Kind(tt.source, tt.user); got != tt.want {
				t.Errorf("Kind = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestPHIResolver(t *testing.T) {
	m, err := phi.NewMatcher(config.PHIPatterns{Tables: []string{"billing.*"}})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPHI(m, map[string][]inventory.Resource{"ehr": {
		{Name: "ehr.public.codes", Type: "table", PHI: true}, // marked by its columns
		{Name: "ehr.clinical.patient_archive", Type: "table", PHI: false},
	}})
	tests := []struct {
		key  string
		want bool
	}{
		{"ehr.public.codes", true},              // the scan's verdict
		{"ehr.clinical.patient_archive", false}, // the scan's verdict wins
		{"ehr.clinical.patient", true},          // not scanned: by name
		{"ehr.billing.invoice", true},           // not scanned: by pattern
		{"ehr.public.lookup", false},            // nothing says PHI
		{"ehr..diagnosis", true},                // no schema known
		{"not-a-key", false},
	}
	for _, tt := range tests {
		if got := p.Table("ehr", tt.key); got != tt.want {
			t.Errorf("Table(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestObjectKey(t *testing.T) {
	tests := []struct {
		typ, name, want string
	}{
		{"TABLE", "clinical.patient", "ehr.clinical.patient"},
		{"VIEW", `"My Schema"."Odd.Name"`, "ehr.My Schema.Odd.Name"},
		{"TABLE", "patient", "ehr..patient"},
		{"FUNCTION", "clinical.f()", ""},
		{"TABLE", "", ""},
	}
	for _, tt := range tests {
		ev := inventory.Event{Database: "ehr", ObjectType: tt.typ, ObjectName: tt.name}
		if got := objectKey(&ev); got != tt.want {
			t.Errorf("objectKey(%s %q) = %q, want %q", tt.typ, tt.name, got, tt.want)
		}
	}
	if got := splitQualified(`a."b""c".d`); !slices.Equal(got, []string{"a", `b"c`, "d"}) {
		t.Errorf("splitQualified = %q", got)
	}
}

func TestProgramOf(t *testing.T) {
	for in, want := range map[string]string{
		"ehr-api/2.3.1": "ehr-api", "DBeaver 23.1.0 - Main": "dbeaver",
		"nightly report 2.1": "nightly report", "psql": "psql", "  ": "",
		"a\nb": "a b",
	} {
		if got := programOf(in); got != want {
			t.Errorf("programOf(%q) = %q, want %q", in, got, want)
		}
	}
}
