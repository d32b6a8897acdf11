package watch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/watch/alert"
)

// BenchmarkHandle measures the detectors and the baseline on a mix of
// events: 100 accounts, each with a few addresses, programs and tables,
// two in a hundred events from an interactive tool. The latency benchmark
// of the whole watch is tools/watchbench (make bench-watch).
func BenchmarkHandle(b *testing.B) {
	var sent int
	svc := func(_, user string) inventory.Kind {
		if strings.HasSuffix(user, "_svc") {
			return inventory.KindService
		}
		return inventory.KindUnknown
	}
	e := NewEngine(EngineOptions{Config: Config{Learning: time.Hour}, Kind: svc,
		PHI:  func(_, key string) bool { return phiTables[key] },
		Sink: sinkFunc(func(alert.Alert) { sent++ })})
	evs := make([]inventory.Event, 1000)
	for i := range evs {
		user := fmt.Sprintf("app%d_svc", i%100)
		evs[i] = event(t0, user, withAddr(fmt.Sprintf("10.0.%d.%d", i%3, i%7)),
			withObject([]string{"clinical.patient", "public.lookup", "billing.claim"}[i%3]),
			withSession(fmt.Sprint("s", i%50)))
		if i%50 == 0 {
			evs[i].Application = "psql"
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev := evs[i%len(evs)]
		ev.Time = t0.Add(time.Duration(i) * time.Millisecond)
		e.Handle(ev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if sent == 0 {
		b.Fatal("no alert sent: the benchmark misses the alert path")
	}
}
