package config

import (
	"strings"
	"testing"
	"time"
)

func TestPolicyThresholds(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c, err := Parse("ward.yaml", []byte("store: w.db\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := Policy{UnusedAfter: 90 * 24 * time.Hour, MinObservation: 30 * 24 * time.Hour,
			AuthFailures: 5, AuthFailureWindow: 10 * time.Minute}
		if c.Policy != want {
			t.Errorf("policy = %+v, want %+v", c.Policy, want)
		}
	})
	t.Run("set", func(t *testing.T) {
		c, err := Parse("ward.yaml", []byte("policy:\n  min_observation: 6w\n"+
			"  auth_failures: 10\n  auth_failure_window: 90s\n"))
		if err != nil {
			t.Fatal(err)
		}
		p := c.Policy
		if p.MinObservation != 42*24*time.Hour || p.AuthFailures != 10 ||
			p.AuthFailureWindow != 90*time.Second {
			t.Errorf("policy = %+v", p)
		}
	})
	bad := []struct {
		name, yaml, field string
		line              int
	}{
		{"min_observation", "policy:\n  min_observation: a month\n", "policy.min_observation", 2},
		{"auth_failures", "policy:\n  auth_failures: five\n", "policy.auth_failures", 2},
		{"auth_failures too low", "policy:\n  auth_failures: 1\n", "policy.auth_failures", 2},
		{"auth_failure_window", "policy:\n  auth_failures: 5\n  auth_failure_window: 10d\n",
			"policy.auth_failure_window", 3},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("ward.yaml", []byte(tt.yaml))
			es, ok := err.(Errors)
			if !ok || len(es) != 1 || es[0].Field != tt.field || es[0].Line != tt.line {
				t.Fatalf("err = %v, want one error on %s at line %d", err, tt.field, tt.line)
			}
			if !strings.Contains(es[0].Msg, "such as") {
				t.Errorf("message %q does not show the expected form", es[0].Msg)
			}
		})
	}
}
