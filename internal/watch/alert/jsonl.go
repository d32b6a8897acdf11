package alert

import (
	"context"
	"encoding/json"
	"io"
	"sync"
)

// JSONLines writes each alert as one line of JSON to a writer, such as
// stdout. It writes synchronously: a local writer is not expected to
// stall. It is safe for concurrent use.
type JSONLines struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	stats Stats
}

// NewJSONLines returns a sink that writes to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Send implements Sink. A write error is counted, not returned: the next
// alert is tried again.
func (j *JSONLines) Send(a Alert) {
	body, err := json.Marshal(a)
	j.mu.Lock()
	defer j.mu.Unlock()
	if err == nil {
		j.buf = append(append(j.buf[:0], body...), '\n')
		_, err = j.w.Write(j.buf)
	}
	if err != nil {
		j.stats.Failed++
		return
	}
	j.stats.Sent++
}

// Close implements Sink; there is nothing to flush.
func (j *JSONLines) Close(context.Context) error { return nil }

// Stats implements Counter.
func (j *JSONLines) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.stats
}
