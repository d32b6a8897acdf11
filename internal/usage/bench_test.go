package usage

import (
	"fmt"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// BenchmarkBuilderAdd measures the cost of one event in the usage
// builder, on a mix like the corpus's: a login, then audit rows on a few
// tables, across 50 accounts and 20 programs.
func BenchmarkBuilderAdd(b *testing.B) {
	const n = 4096
	evs := make([]inventory.Event, n)
	tables := []string{"clinical.patient", "clinical.encounter", "billing.invoice", "app.queue"}
	for i := range evs {
		user := fmt.Sprintf("svc_%d", i%50)
		at := t0.Add(time.Duration(i) * time.Second)
		if i%8 == 0 {
			evs[i] = connect(at, user, fmt.Sprintf("api-%d/1.0", i%20), "10.0.0.5",
				fmt.Sprint("s", i/8))
			continue
		}
		evs[i] = row(at, user, fmt.Sprint("s", i/8), int64(i%8), "SESSION", "READ", "SELECT",
			tables[i%len(tables)])
	}
	bl := NewBuilder("ehr", Options{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		bl.Add(evs[i%n])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
