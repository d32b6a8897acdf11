package config

import (
	"strings"
	"testing"
	"time"
)

const webhookCanary = "CANARY-webhook-secret-91c2"

func TestAlertsDefaults(t *testing.T) {
	c, err := Parse("ward.yaml", []byte("store: ward.db\n"))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Alerts
	if !a.Stdout || a.GroupWindow != DefaultGroupWindow || a.Learning != DefaultLearning ||
		a.Webhook != nil || a.Syslog != nil {
		t.Errorf("alerts = %+v, want stdout only, with the default windows", a)
	}
}

func TestAlertsSection(t *testing.T) {
	t.Setenv("WARD_TEST_WEBHOOK", webhookCanary)
	c, err := Parse("/etc/ward/ward.yaml", []byte(`alerts:
  stdout: false
  group_window: 2m
  learning: 14d
  webhook:
    url: https://siem.example/hooks/ward
    secret: ${env:WARD_TEST_WEBHOOK}
    timeout: 5s
  syslog:
    network: tcp
    address: 127.0.0.1:6514
    facility: local3
`))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Alerts
	if a.Stdout || a.GroupWindow != 2*time.Minute || a.Learning != 14*24*time.Hour {
		t.Errorf("alerts = %+v", a)
	}
	w := a.Webhook
	if w == nil || w.URL != "https://siem.example/hooks/ward" ||
		w.Secret.Reveal() != webhookCanary || w.Timeout != 5*time.Second ||
		w.SecretRef != "${env:WARD_TEST_WEBHOOK}" {
		t.Errorf("webhook = %+v", w)
	}
	s := a.Syslog
	if s == nil || s.Network != "tcp" || s.Address != "127.0.0.1:6514" || s.Facility != "local3" {
		t.Errorf("syslog = %+v", s)
	}
}

func TestAlertsSyslogDefaults(t *testing.T) {
	c, err := Parse("ward.yaml", []byte("alerts:\n  syslog:\n    address: 127.0.0.1:514\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Alerts.Syslog; s.Network != "udp" || s.Facility != "authpriv" {
		t.Errorf("syslog = %+v, want udp and authpriv", s)
	}
}

func TestAlertsRejects(t *testing.T) {
	t.Setenv("WARD_TEST_WEBHOOK", webhookCanary)
	const secretOK = "    secret: ${env:WARD_TEST_WEBHOOK}\n"
	tests := []struct {
		name, yaml, field, want string
	}{
		{"webhook without url", "alerts:\n  webhook:\n" + secretOK,
			"alerts.webhook.url", "missing"},
		{"webhook not http", "alerts:\n  webhook:\n    url: ftp://x/y\n" + secretOK,
			"alerts.webhook.url", "not an http(s) URL"},
		{"webhook with a password in the url",
			"alerts:\n  webhook:\n    url: https://u:" + webhookCanary + "@x/y\n" + secretOK,
			"alerts.webhook.url", "holds a user or password"},
		{"webhook without secret", "alerts:\n  webhook:\n    url: https://x/y\n",
			"alerts.webhook.secret", "missing"},
		{"webhook literal secret",
			"alerts:\n  webhook:\n    url: https://x/y\n    secret: " + webhookCanary + "\n",
			"alerts.webhook.secret", "literal secret is refused"},
		{"webhook bad timeout", "alerts:\n  webhook:\n    url: https://x/y\n" + secretOK +
			"    timeout: soon\n", "alerts.webhook.timeout", "not a duration"},
		{"syslog without address", "alerts:\n  syslog:\n    network: udp\n",
			"alerts.syslog.address", "HOST:PORT"},
		{"syslog without host", "alerts:\n  syslog:\n    address: ':514'\n",
			"alerts.syslog.address", "HOST:PORT"},
		{"syslog unknown network", "alerts:\n  syslog:\n    network: sctp\n    address: h:1\n",
			"alerts.syslog.network", "use udp, tcp or unix"},
		{"syslog relative socket", "alerts:\n  syslog:\n    network: unix\n    address: log\n",
			"alerts.syslog.address", "absolute path"},
		{"syslog unknown facility",
			"alerts:\n  syslog:\n    address: 127.0.0.1:514\n    facility: kern\n",
			"alerts.syslog.facility", "local0 to local7"},
		{"bad group window", "alerts:\n  group_window: 5\n", "alerts.group_window",
			"not a duration"},
		{"bad learning", "alerts:\n  learning: 7m\n", "alerts.learning", "unknown unit"},
		{"unknown key", "alerts:\n  emails: [a@b]\n", "", "the keys here are stdout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("ward.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.field) || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not name %q with %q", msg, tt.field, tt.want)
			}
			if strings.Contains(msg, webhookCanary) {
				t.Errorf("error shows the secret: %q", msg)
			}
		})
	}
}

func TestAlertsWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "hook.key", webhookCanary+"\n")
	p := write(t, dir, "ward.yaml", `sources:
  - name: ehr
    type: postgres
    dsn: postgres://scanner@127.0.0.1/ehr
    password: ${env:WARD_TEST_UNSET_DB_PASSWORD}
alerts:
  webhook:
    url: https://x/y
    secret: ${file:hook.key}
`)
	// The database password is not set: watch loads the file without
	// secrets, then reads the webhook secret alone.
	c, err := LoadWithoutSecrets(p)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Alerts.Webhook.Secret.IsZero() {
		t.Error("LoadWithoutSecrets read the webhook secret")
	}
	got, err := ResolveSecret(c, c.Alerts.Webhook.SecretRef)
	if err != nil || got.Reveal() != webhookCanary {
		t.Errorf("ResolveSecret = %v, %v", got, err)
	}
	if _, err := ResolveSecret(c, "${env:WARD_TEST_UNSET_DB_PASSWORD}"); err == nil {
		t.Error("an unset variable resolved")
	}
}
