package config

import (
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardsec/ward/internal/secret"
)

// Defaults of the alerts section.
const (
	DefaultGroupWindow    = 5 * time.Minute
	DefaultLearning       = 7 * 24 * time.Hour
	DefaultWebhookTimeout = 10 * time.Second
)

// Alerts says where `ward watch` sends its alerts and how it groups them.
// No destination but stdout is ever assumed: without a webhook or syslog
// section, nothing is sent over the network.
type Alerts struct {
	// Stdout writes alerts as JSON lines to standard output (default on).
	Stdout bool
	// GroupWindow is how long repeats of one alert (same detector, account
	// and key) are counted into one summary instead of sent.
	GroupWindow time.Duration
	// Learning is how long an account is observed before alerts about
	// behaviour new to it (address, program, hour, PHI table, volume).
	Learning time.Duration
	// Webhook and Syslog are nil unless configured.
	Webhook *Webhook
	Syslog  *Syslog
}

// Webhook is a URL that receives each alert as a signed JSON POST.
type Webhook struct {
	URL string
	// Secret keys the HMAC-SHA256 signature of each request. It is empty
	// when the configuration was loaded without secrets; SecretRef is the
	// reference as written, for ResolveSecret.
	Secret    secret.Value
	SecretRef string
	Timeout   time.Duration
}

// Syslog is a syslog receiver of RFC 5424 messages.
type Syslog struct {
	// Network is udp, tcp or unix (a datagram socket such as /dev/log).
	Network string
	// Address is HOST:PORT, or the socket path for unix.
	Address string
	// Facility is auth, authpriv or local0 to local7 (default authpriv).
	Facility string
}

// SyslogFacilities maps the facility names accepted to their numbers.
var SyslogFacilities = map[string]int{
	"auth": 4, "authpriv": 10, "local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

type rawAlerts struct {
	Stdout      *bool       `yaml:"stdout"`
	GroupWindow string      `yaml:"group_window"`
	Learning    string      `yaml:"learning"`
	Webhook     *rawWebhook `yaml:"webhook"`
	Syslog      *rawSyslog  `yaml:"syslog"`
}

type rawWebhook struct {
	URL     string `yaml:"url"`
	Secret  string `yaml:"secret"`
	Timeout string `yaml:"timeout"`
}

type rawSyslog struct {
	Network  string `yaml:"network"`
	Address  string `yaml:"address"`
	Facility string `yaml:"facility"`
}

// alerts checks the alerts section.
func (v *validator) alerts(r rawAlerts) Alerts {
	n := child(v.root, "alerts")
	a := Alerts{Stdout: true, GroupWindow: DefaultGroupWindow, Learning: DefaultLearning}
	if r.Stdout != nil {
		a.Stdout = *r.Stdout
	}
	if s := r.GroupWindow; s != "" {
		d, err := parseShortDuration(s)
		if err != nil {
			v.fail(lineOf(child(n, "group_window")), "alerts.group_window", "%v", err)
		}
		a.GroupWindow = d
	}
	if s := r.Learning; s != "" {
		d, err := ParseDuration(s)
		if err != nil {
			v.fail(lineOf(child(n, "learning")), "alerts.learning", "%v", err)
		}
		a.Learning = d
	}
	if r.Webhook != nil {
		a.Webhook = v.webhook(child(n, "webhook"), *r.Webhook)
	}
	if r.Syslog != nil {
		a.Syslog = v.syslog(child(n, "syslog"), *r.Syslog)
	}
	return a
}

func (v *validator) webhook(n *yaml.Node, r rawWebhook) *Webhook {
	w := &Webhook{URL: strings.TrimSpace(r.URL), SecretRef: strings.TrimSpace(r.Secret),
		Timeout: DefaultWebhookTimeout}
	u, err := url.Parse(w.URL)
	switch {
	case w.URL == "":
		v.fail(lineOf(n), "alerts.webhook.url", "missing: write the receiver's "+
			"https://HOST/PATH")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		// url.Parse errors quote the URL, whose path may hold a token.
		v.fail(lineOf(child(n, "url")), "alerts.webhook.url", "not an http(s) URL: write "+
			"https://HOST/PATH")
	case u.User != nil:
		v.fail(lineOf(child(n, "url")), "alerts.webhook.url", "holds a user or password: "+
			"the receiver authenticates ward by the signature keyed with secret")
	}
	if w.SecretRef == "" {
		v.fail(lineOf(n), "alerts.webhook.secret", "missing: the receiver checks each "+
			"alert's signature with it; write ${env:NAME} or ${file:PATH}")
	} else {
		val, err := v.resolveSecret(w.SecretRef)
		if err != nil {
			v.fail(lineOf(child(n, "secret")), "alerts.webhook.secret", "%v", err)
		}
		w.Secret = val
	}
	if s := r.Timeout; s != "" {
		d, err := parseShortDuration(s)
		if err != nil {
			v.fail(lineOf(child(n, "timeout")), "alerts.webhook.timeout", "%v", err)
		}
		w.Timeout = d
	}
	return w
}

func (v *validator) syslog(n *yaml.Node, r rawSyslog) *Syslog {
	s := &Syslog{Network: strings.TrimSpace(r.Network), Address: strings.TrimSpace(r.Address),
		Facility: strings.ToLower(strings.TrimSpace(r.Facility))}
	if s.Network == "" {
		s.Network = "udp"
	}
	switch s.Network {
	case "udp", "tcp":
		if host, port, err := net.SplitHostPort(s.Address); err != nil || host == "" ||
			port == "" {
			v.fail(lineOf(child(n, "address")), "alerts.syslog.address",
				"%q: write the receiver's HOST:PORT, such as 127.0.0.1:514", s.Address)
		}
	case "unix":
		if !filepath.IsAbs(s.Address) {
			v.fail(lineOf(child(n, "address")), "alerts.syslog.address",
				"%q: write the absolute path of the socket, such as /dev/log", s.Address)
		}
	default:
		v.fail(lineOf(child(n, "network")), "alerts.syslog.network",
			"%q: use udp, tcp or unix", s.Network)
	}
	if s.Facility == "" {
		s.Facility = "authpriv"
	}
	if _, ok := SyslogFacilities[s.Facility]; !ok {
		v.fail(lineOf(child(n, "facility")), "alerts.syslog.facility",
			"%q: use auth, authpriv or local0 to local7", r.Facility)
	}
	return s
}

// ResolveSecret reads the secret a reference names (${env:NAME} or
// ${file:PATH}, a path relative to the configuration file c was read
// from), as Load does. It is for the commands that load the configuration
// without its secrets and need one of them, such as the webhook secret
// of `ward watch`, which needs no database password.
func ResolveSecret(c *Config, ref string) (secret.Value, error) {
	v := validator{file: c.Path, dir: filepath.Dir(c.Path)}
	return v.resolveSecret(ref)
}
