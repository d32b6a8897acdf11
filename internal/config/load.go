package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardsec/ward/internal/secret"
)

// EnvVar names the environment variable that points at the configuration
// file when --config is not given.
const EnvVar = "WARD_CONFIG"

// DefaultFile is the configuration read when neither --config nor
// $WARD_CONFIG is set.
const DefaultFile = "ward.yaml"

// DefaultUnusedAfter is policy.unused_after when the file does not set it.
const DefaultUnusedAfter = 90 * 24 * time.Hour

// Defaults of the other policy thresholds.
const (
	DefaultMinObservation    = 30 * 24 * time.Hour
	DefaultAuthFailures      = 5
	DefaultAuthFailureWindow = 10 * time.Minute
	// DefaultEventRetention keeps a year of events and a month more, so
	// that a yearly job shows in the usage a least-privilege fix rests on.
	DefaultEventRetention = 400 * 24 * time.Hour
)

// Error is a problem in a configuration file, with the line it is on and
// the form that is expected. Its message never holds a secret value.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Errors is every problem found in one file, reported together so a user
// can fix them in one pass.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Resolve picks the configuration file: flag, then $WARD_CONFIG, then
// ./ward.yaml.
func Resolve(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv(EnvVar); env != "" {
		return env
	}
	return DefaultFile
}

// Load reads, parses and validates the configuration at path, resolving
// secret references. The store path is made relative to the file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("configuration %s not found: run `ward init` to write one, "+
				"or pass --config FILE or set %s", path, EnvVar)
		}
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(path, data)
}

type rawConfig struct {
	Store  string `yaml:"store"`
	Policy struct {
		UnusedAfter       string `yaml:"unused_after"`
		MinObservation    string `yaml:"min_observation"`
		AuthFailures      string `yaml:"auth_failures"`
		AuthFailureWindow string `yaml:"auth_failure_window"`
		EventRetention    string `yaml:"event_retention"`
	} `yaml:"policy"`
	PHI struct {
		Tables  []string `yaml:"tables"`
		Columns []string `yaml:"columns"`
	} `yaml:"phi"`
	Sources      []rawSource      `yaml:"sources"`
	Owners       []rawOwner       `yaml:"owners"`
	Suppressions []rawSuppression `yaml:"suppressions"`
	Alerts       rawAlerts        `yaml:"alerts"`
}

type rawSource struct {
	Name          string   `yaml:"name"`
	Type          string   `yaml:"type"`
	DSN           string   `yaml:"dsn"`
	Password      string   `yaml:"password"`
	HBAFile       string   `yaml:"hba_file"`
	Logs          []string `yaml:"logs"`
	LogFormat     string   `yaml:"log_format"`
	LogLinePrefix string   `yaml:"log_line_prefix"`
	Poolers       []string `yaml:"poolers"`
	Path          string   `yaml:"path"`
	Git           bool     `yaml:"git"`
	Since         string   `yaml:"since"`
}

type rawOwner struct {
	Account  string   `yaml:"account"`
	Owner    string   `yaml:"owner"`
	Purpose  string   `yaml:"purpose"`
	Needs    []string `yaml:"needs"`
	Rotation string   `yaml:"rotation"`
}

type rawSuppression struct {
	Fingerprint string `yaml:"fingerprint"`
	Reason      string `yaml:"reason"`
	Until       string `yaml:"until"`
	By          string `yaml:"by"`
}

// LoadWithoutSecrets reads, parses and validates the configuration at path
// like Load, but does not read the secrets it references: each source's
// Password is left empty, and a reference is only checked for its form.
// It is for the commands that read ward's store and never connect to a
// source, so that they need no database password in their environment.
func LoadWithoutSecrets(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("configuration %s not found: run `ward init` to write one, "+
				"or pass --config FILE or set %s", path, EnvVar)
		}
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return parse(path, data, false)
}

// Parse validates data read from path. It is separate from Load so it can
// be fuzzed and tested without files.
func Parse(path string, data []byte) (*Config, error) {
	return parse(path, data, true)
}

// parse validates data read from path, resolving secret references when
// resolve is set.
func parse(path string, data []byte, resolve bool) (*Config, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{File: path, Line: yamlLine(err), Msg: "not valid YAML: " + yamlMsg(err)}
	}
	var raw rawConfig
	if doc.Kind != 0 {
		// A second pass with KnownFields reports misspelt keys with their
		// line instead of ignoring them.
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&raw); err != nil {
			return nil, decodeErrors(path, err)
		}
	}

	v := validator{file: path, dir: filepath.Dir(path), root: rootMapping(&doc),
		skipSecrets: !resolve}
	c := &Config{Path: path, Hash: hashOf(data)}
	c.Store = raw.Store
	if c.Store == "" {
		c.Store = "ward.db"
	}
	if !filepath.IsAbs(c.Store) {
		c.Store = filepath.Join(v.dir, c.Store)
	}
	c.Policy = v.policy(raw)
	c.PHI = PHIPatterns{Tables: raw.PHI.Tables, Columns: raw.PHI.Columns}
	v.patterns("tables", raw.PHI.Tables, 2, 3)
	v.patterns("columns", raw.PHI.Columns, 3, 4)
	c.Sources = v.sources(raw.Sources)
	c.Owners = v.owners(raw.Owners, c.Sources)
	c.Suppressions = v.suppressions(raw.Suppressions)
	c.Alerts = v.alerts(raw.Alerts)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return c, nil
}

var (
	lineRE        = regexp.MustCompile(`line (\d+)`)
	leadingLineRE = regexp.MustCompile(`^line \d+: `)
)

func yamlLine(err error) int {
	m := lineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// quotedRE matches the values that yaml.v3 quotes in its type errors;
// they are dropped because a misplaced value may be a secret.
var (
	quotedRE   = regexp.MustCompile("`[^`]*`|![^ ]*")
	unmarshaRE = regexp.MustCompile(`cannot unmarshal .* into (\S+)`)
)

// typeNames says in the file's terms what each internal type expects.
var typeNames = map[string]string{
	"config.rawConfig": "a mapping with store, policy, phi, sources, owners, suppressions " +
		"and alerts",
	"config.rawAlerts":        "a mapping with stdout, group_window, learning, webhook and syslog",
	"config.rawWebhook":       "a mapping with url, secret and timeout",
	"config.rawSyslog":        "a mapping with network, address and facility",
	"[]config.rawSource":      "a list of sources",
	"[]config.rawOwner":       "a list of owners",
	"[]config.rawSuppression": "a list of suppressions",
	"config.rawSource":        "a mapping with name, type, dsn, password, hba_file and logs",
	"config.rawOwner":         "a mapping with account, owner, purpose and needs",
	"config.rawSuppression":   "a mapping with fingerprint, reason, until and by",
	"[]string":                "a list of strings",
	"string":                  "a single value",
}

// decodeErrors turns the decoder's errors, one per problem, into errors
// that name the file and line and say what belongs there.
func decodeErrors(path string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return &Error{File: path, Line: yamlLine(err), Msg: yamlMsg(err)}
	}
	var es Errors
	for _, m := range te.Errors {
		es = append(es, &Error{File: path, Line: yamlLine(errors.New(m)), Msg: friendly(m)})
	}
	return es
}

var unknownFieldRE = regexp.MustCompile(`field (\S+) not found in type (\S+)`)

// rawTypes maps the decoder's names of the raw types to them, so that an
// unknown key can be answered with the keys that are allowed there.
var rawTypes = map[string]reflect.Type{
	"config.rawConfig":      reflect.TypeOf(rawConfig{}),
	"config.rawAlerts":      reflect.TypeOf(rawAlerts{}),
	"config.rawWebhook":     reflect.TypeOf(rawWebhook{}),
	"config.rawSyslog":      reflect.TypeOf(rawSyslog{}),
	"config.rawSource":      reflect.TypeOf(rawSource{}),
	"config.rawOwner":       reflect.TypeOf(rawOwner{}),
	"config.rawSuppression": reflect.TypeOf(rawSuppression{}),
}

func friendly(m string) string {
	if sub := unknownFieldRE.FindStringSubmatch(m); sub != nil {
		msg := fmt.Sprintf("unknown key %q", sub[1])
		if t, ok := rawTypes[sub[2]]; ok {
			msg += ": the keys here are " + strings.Join(yamlKeys(t), ", ")
		} else if strings.HasPrefix(sub[2], "struct") {
			msg += ": check its spelling against `ward init`'s annotated file"
		}
		return msg
	}
	return yamlMsg(errors.New(m))
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func yamlMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	msg = strings.TrimSpace(leadingLineRE.ReplaceAllString(msg, ""))
	if m := unmarshaRE.FindStringSubmatch(msg); m != nil {
		want := typeNames[m[1]]
		if want == "" {
			want = "another kind of value"
		}
		return "wrong kind of value here: expected " + want
	}
	return quotedRE.ReplaceAllString(msg, "a value")
}

func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func rootMapping(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	return nil
}

// validator collects every error of a file, with lines taken from the
// YAML node tree.
type validator struct {
	file string
	dir  string
	root *yaml.Node
	// skipSecrets checks secret references for their form only.
	skipSecrets bool
	errs        Errors
}

func (v *validator) fail(line int, field, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: line, Field: field,
		Msg: fmt.Sprintf(format, args...)})
}

// child returns the value node of key in mapping m, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func item(seq *yaml.Node, i int) *yaml.Node {
	if seq == nil || seq.Kind != yaml.SequenceNode || i >= len(seq.Content) {
		return nil
	}
	return seq.Content[i]
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func (v *validator) policy(raw rawConfig) Policy {
	p := Policy{UnusedAfter: DefaultUnusedAfter, MinObservation: DefaultMinObservation,
		AuthFailures: DefaultAuthFailures, AuthFailureWindow: DefaultAuthFailureWindow}
	rp := raw.Policy
	v.policyValue("unused_after", rp.UnusedAfter, ParseDuration, &p.UnusedAfter)
	v.policyValue("min_observation", rp.MinObservation, ParseDuration, &p.MinObservation)
	v.policyValue("auth_failure_window", rp.AuthFailureWindow, parseShortDuration,
		&p.AuthFailureWindow)
	v.policyValue("event_retention", rp.EventRetention, ParseDuration, &p.EventRetention)
	if s := rp.AuthFailures; s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 2 {
			v.fail(lineOf(child(child(v.root, "policy"), "auth_failures")),
				"policy.auth_failures", "%q: write a whole number of failed logins, 2 or more, "+
					"such as 5", s)
		} else {
			p.AuthFailures = n
		}
	}
	return p
}

// policyValue parses the policy duration called key, when set, into dst.
func (v *validator) policyValue(key, s string, parse func(string) (time.Duration, error),
	dst *time.Duration) {
	if s == "" {
		return
	}
	d, err := parse(s)
	if err != nil {
		v.fail(lineOf(child(child(v.root, "policy"), key)), "policy."+key, "%v", err)
		return
	}
	*dst = d
}

// parseShortDuration reads a whole number followed by s (seconds), m
// (minutes) or h (hours), such as "10m".
func parseShortDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour}
	if len(s) >= 2 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if unit, ok := units[s[len(s)-1]]; ok && err == nil && n > 0 {
			return time.Duration(n) * unit, nil
		}
	}
	return 0, fmt.Errorf("%q is not a duration: write a positive number and a unit, "+
		"s, m or h, such as 10m", s)
}

// patterns checks that each PHI pattern has between min and max
// dot-separated parts, none empty.
func (v *validator) patterns(key string, pats []string, min, max int) {
	seq := child(child(v.root, "phi"), key)
	forms := map[string]string{
		"tables":  "SCHEMA.TABLE or DATABASE.SCHEMA.TABLE, such as clinical.*",
		"columns": "SCHEMA.TABLE.COLUMN or DATABASE.SCHEMA.TABLE.COLUMN, such as *.*.ssn",
	}
	for i, p := range pats {
		parts := strings.Split(p, ".")
		bad := len(parts) < min || len(parts) > max
		for _, part := range parts {
			bad = bad || part == ""
		}
		if bad {
			v.fail(lineOf(item(seq, i)), fmt.Sprintf("phi.%s[%d]", key, i),
				"%q: write %s (one part per name level; * matches within a part)", p, forms[key])
		}
	}
}

// ParseDuration reads a policy duration: a whole number followed by d
// (days), w (weeks) or h (hours), such as "90d".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("%q is not a duration: write a number and a unit, such as 90d, 12w or 36h", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a duration: write a positive number and a unit, such as 90d, 12w or 36h", s)
	}
	switch s[len(s)-1] {
	case 'h':
		return time.Duration(n) * time.Hour, nil
	case 'd':
		return time.Duration(n) * 24 * time.Hour, nil
	case 'w':
		return time.Duration(n) * 7 * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("%q has an unknown unit: use d (days), w (weeks) or h (hours), such as 90d", s)
}

// maxSourceName bounds a source name: it is repeated in every account ID,
// finding and report line.
const maxSourceName = 63

func goodSourceName(name string) bool {
	if len(name) > maxSourceName {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// SourceTypes lists the source types this version of ward can scan.
var SourceTypes = []string{"postgres", "code"}

func (v *validator) sources(raws []rawSource) []Source {
	seq := child(v.root, "sources")
	seen := map[string]int{}
	var out []Source
	for i, r := range raws {
		n := item(seq, i)
		field := fmt.Sprintf("sources[%d]", i)
		src := Source{Name: r.Name, Type: r.Type, DSN: r.DSN, Line: lineOf(n)}
		src.HBAFile = r.HBAFile
		if src.HBAFile != "" && !filepath.IsAbs(src.HBAFile) {
			src.HBAFile = filepath.Join(v.dir, src.HBAFile)
		}
		switch {
		case r.Name == "":
			v.fail(lineOf(n), field+".name", "missing: give each source a short name such as ehr")
		case strings.Contains(r.Name, "/"):
			v.fail(lineOf(child(n, "name")), field+".name",
				"%q contains '/': source names are the first part of account IDs, so they cannot hold '/'", r.Name)
		case !goodSourceName(r.Name):
			v.fail(lineOf(child(n, "name")), field+".name",
				"use 1 to %d letters, digits, '.', '_' or '-' (the name starts every account ID "+
					"and appears in reports)", maxSourceName)
		default:
			if first, dup := seen[r.Name]; dup {
				v.fail(lineOf(child(n, "name")), field+".name",
					"%q is already the name of the source on line %d: names must be unique", r.Name, first)
			}
			seen[r.Name] = lineOf(child(n, "name"))
		}
		if !contains(SourceTypes, r.Type) {
			v.fail(lineOf(child(n, "type")), field+".type",
				"%q is not a known source type: use one of %s", r.Type, strings.Join(SourceTypes, ", "))
		}
		if r.Type == "postgres" {
			v.checkDSN(child(n, "dsn"), field+".dsn", r.DSN)
		}
		if r.Type == "code" {
			v.codeSource(n, field, r, &src)
		}
		v.logs(n, field, r, &src)
		if r.Password != "" {
			val, err := v.resolveSecret(r.Password)
			if err != nil {
				v.fail(lineOf(child(n, "password")), field+".password", "%v", err)
			}
			src.Password = val
		}
		out = append(out, src)
	}
	return out
}

// codeSource checks a source of type code: a directory or repository to
// search for hard-coded credentials, with its history when git is set.
func (v *validator) codeSource(n *yaml.Node, field string, r rawSource, src *Source) {
	if r.Path == "" {
		v.fail(lineOf(n), field+".path", "missing: a code source needs path: DIRECTORY")
		return
	}
	src.Path, src.Git, src.Since = r.Path, r.Git, r.Since
	if !filepath.IsAbs(src.Path) {
		src.Path = filepath.Join(v.dir, src.Path)
	}
	if fi, err := os.Stat(src.Path); err != nil || !fi.IsDir() {
		v.fail(lineOf(child(n, "path")), field+".path", "%s is not a directory", src.Path)
	}
	if r.DSN != "" || r.Password != "" {
		v.fail(lineOf(n), field, "a code source takes path, git and since, not dsn or password")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkDSN refuses a connection string that holds a password, in URL or
// key=value form, and reports it without echoing the value.
func (v *validator) checkDSN(n *yaml.Node, field, dsn string) {
	line := lineOf(n)
	if dsn == "" {
		v.fail(line, field, "missing: write postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full")
		return
	}
	const advice = "a password inside the DSN would sit in clear text in the file; " +
		"remove it and set `password: ${env:NAME}` or `password: ${file:PATH}` on the source"
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			// url.Parse errors quote the input, which may hold a password.
			v.fail(line, field, "not a valid URL: write postgres://USER@HOST:PORT/DATABASE")
			return
		}
		if _, has := u.User.Password(); has {
			v.fail(line, field, "holds a password: %s", advice)
		}
		if u.Query().Has("password") {
			v.fail(line, field, "holds a password parameter: %s", advice)
		}
		return
	}
	for _, kv := range strings.Fields(dsn) {
		if k, _, ok := strings.Cut(kv, "="); ok && strings.EqualFold(strings.TrimSpace(k), "password") {
			v.fail(line, field, "holds password=: %s", advice)
		}
	}
}

var (
	refRE    = regexp.MustCompile(`^\$\{(env|file):([^}]+)\}$`)
	anyRefRE = regexp.MustCompile(`^\$\{([a-zA-Z]+):[^}]*\}$`)
)

// resolveSecret turns a ${env:NAME} or ${file:PATH} reference into the
// secret it names. Anything else is a literal and is refused.
func (v *validator) resolveSecret(ref string) (secret.Value, error) {
	m := refRE.FindStringSubmatch(strings.TrimSpace(ref))
	if k := anyRefRE.FindStringSubmatch(strings.TrimSpace(ref)); m == nil && k != nil {
		return secret.Value{}, fmt.Errorf("${%s:…} is not a reference ward knows: "+
			"write ${env:NAME} or ${file:PATH}", k[1])
	}
	if m == nil {
		return secret.Value{}, errors.New("a literal secret is refused: a password written in " +
			"ward.yaml would be readable by anyone who can read the file or its backups; " +
			"write ${env:NAME} to read it from an environment variable or ${file:PATH} " +
			"to read it from a file (relative to this configuration)")
	}
	if v.skipSecrets {
		return secret.Value{}, nil
	}
	kind, name := m[1], strings.TrimSpace(m[2])
	if kind == "env" {
		val, ok := os.LookupEnv(name)
		if !ok {
			return secret.Value{}, fmt.Errorf("environment variable %s is not set (referenced as ${env:%s})", name, name)
		}
		if val == "" {
			return secret.Value{}, fmt.Errorf("environment variable %s is set but empty (referenced as ${env:%s})", name, name)
		}
		return secret.New(val), nil
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(v.dir, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return secret.Value{}, fmt.Errorf("cannot read secret file %s: %v", path, errors.Unwrap(err))
	}
	val := strings.TrimRight(string(b), "\r\n")
	if val == "" {
		return secret.Value{}, fmt.Errorf("secret file %s is empty", path)
	}
	return secret.New(val), nil
}

func (v *validator) owners(raws []rawOwner, sources []Source) []Owner {
	seq := child(v.root, "owners")
	names := map[string]bool{}
	seenOwner := map[string]int{}
	for _, s := range sources {
		names[s.Name] = true
	}
	var out []Owner
	for i, r := range raws {
		n := item(seq, i)
		field := fmt.Sprintf("owners[%d]", i)
		src, native, ok := strings.Cut(r.Account, "/")
		switch {
		case !ok || src == "" || native == "":
			v.fail(lineOf(child(n, "account")), field+".account",
				"%q is not an account ID: write SOURCE/NAME, such as ehr/etl_loader", r.Account)
		case !names[src]:
			v.fail(lineOf(child(n, "account")), field+".account",
				"source %q is not defined under sources", src)
		}
		if first, dup := seenOwner[r.Account]; dup && r.Account != "" {
			v.fail(lineOf(child(n, "account")), field+".account",
				"%q is already listed on line %d: keep one entry per account", r.Account, first)
		}
		seenOwner[r.Account] = lineOf(child(n, "account"))
		out = append(out, Owner{Account: r.Account, Owner: r.Owner, Purpose: r.Purpose,
			Needs: r.Needs, Rotation: r.Rotation, Line: lineOf(n)})
	}
	return out
}
