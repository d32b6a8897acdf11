package usage_test

import (
	"testing"

	"github.com/wardsec/ward/internal/pgsource"
	"github.com/wardsec/ward/internal/usage"
)

// The scanner sessions the usage leaves out are those pgsource opens.
func TestScannerApplicationIsPgsources(t *testing.T) {
	if usage.ScannerApplication != pgsource.ApplicationName {
		t.Errorf("usage.ScannerApplication = %q, pgsource.ApplicationName = %q",
			usage.ScannerApplication, pgsource.ApplicationName)
	}
}
