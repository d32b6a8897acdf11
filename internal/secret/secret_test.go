package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const canary = "CANARY-secret-value-55"

// TestNeverPrinted checks every ordinary way of printing a value: none may
// show the secret.
func TestNeverPrinted(t *testing.T) {
	v := New(canary)
	wrapped := struct{ P Value }{v}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outs = append(outs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, wrapped))
	}
	j, err := json.Marshal(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(j), v.String())
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "password", v)
	outs = append(outs, logs.String())

	for _, out := range outs {
		if strings.Contains(out, canary) || strings.Contains(out, fmt.Sprintf("%x", canary)) {
			t.Errorf("secret printed: %s", out)
		}
	}
	if v.Reveal() != canary {
		t.Errorf("Reveal() lost the value")
	}
}

func TestZero(t *testing.T) {
	var v Value
	if !v.IsZero() || v.String() != "" {
		t.Errorf("zero value: IsZero %v, String %q", v.IsZero(), v.String())
	}
	if New("x").IsZero() {
		t.Errorf("New(\"x\").IsZero() = true")
	}
}
