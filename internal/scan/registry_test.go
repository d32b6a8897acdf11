package scan

import (
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/config"
)

func TestRegistryRejectsDuplicates(t *testing.T) {
	r := DefaultRegistry()
	if err := r.Register("postgres", nil); err == nil {
		t.Errorf("registering postgres twice was accepted")
	}
}

func TestRegistryUnknownType(t *testing.T) {
	r := DefaultRegistry()
	_, err := r.New(config.Source{Name: "x", Type: "oracle"}, nil)
	if err == nil || !strings.Contains(err.Error(), "known: postgres") {
		t.Errorf("err = %v, want one listing the known types", err)
	}
}
