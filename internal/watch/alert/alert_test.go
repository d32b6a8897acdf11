package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "etl_loader", "etl_loader"},
		{"controls", "a\tb\nc\x1b[31m", "a b c [31m"},
		{"invalid UTF-8", "ab\xffc", "ab\uFFFDc"},
		{"unicode kept", "Überweisung", "Überweisung"},
		{"cut on a rune boundary", strings.Repeat("é", 150), strings.Repeat("é", 100)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBackoffWait(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Attempts: 9}
	tests := []struct {
		n        int
		r        float64
		min, max time.Duration
	}{
		{1, 0, 50 * time.Millisecond, 50 * time.Millisecond},
		{1, 0.999, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 0, 100 * time.Millisecond, 100 * time.Millisecond},
		{3, 0.5, 300 * time.Millisecond, 300 * time.Millisecond},
		{8, 0.999, 500 * time.Millisecond, time.Second}, // capped at Max
	}
	for _, tt := range tests {
		got := b.wait(tt.n, tt.r)
		if got < tt.min || got > tt.max {
			t.Errorf("wait(%d, %v) = %v, want in [%v, %v]", tt.n, tt.r, got, tt.min, tt.max)
		}
	}
}

type failWriter struct{ fail bool }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errors.New("closed")
	}
	return len(p), nil
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONLines(&buf)
	a := sampleAlert()
	j.Send(a)
	a.ID = "second"
	j.Send(a)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(lines), buf.String())
	}
	var back Alert
	if err := json.Unmarshal([]byte(lines[1]), &back); err != nil || back.ID != "second" {
		t.Errorf("second line = %q (%v)", lines[1], err)
	}
	if *back.HourUTC != 3 || back.Pos.Offset != 42 {
		t.Errorf("fields lost in JSON: %+v", back)
	}

	fw := &failWriter{fail: true}
	jf := NewJSONLines(fw)
	jf.Send(a)
	fw.fail = false
	jf.Send(a)
	if st := jf.Stats(); st.Failed != 1 || st.Sent != 1 {
		t.Errorf("stats = %+v, want 1 failed, 1 sent", st)
	}
}
