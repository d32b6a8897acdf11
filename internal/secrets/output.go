package secrets

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/termtext"
)

// Formats lists the output formats of Write.
var Formats = []string{"table", "json", "sarif", "csv"}

// Report is what the output formats show: the findings, the secrets they
// group (each place one was seen) and what was read and skipped.
type Report struct {
	Findings []inventory.Finding `json:"findings"`
	Secrets  []Secret            `json:"secrets"`
	Stats    Stats               `json:"stats"`
	// Baselined counts the secrets a baseline accepted.
	Baselined int `json:"baselined,omitempty"`
	// Version is ward's version, for SARIF.
	Version string `json:"-"`
}

// Write renders r in the named format.
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "table", "":
		return writeTable(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(jsonReportOf(r)); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		return nil
	case "sarif":
		return writeSARIF(w, r)
	case "csv":
		return report.WriteFindingsCSV(w, r.Findings)
	}
	return fmt.Errorf("unknown format %q: use %s", format, strings.Join(Formats, ", "))
}

// jsonReport is the JSON form of a Report: arrays are never null and
// times not yet known are null, as internal/report/SCHEMA.md has them.
type jsonReport struct {
	Findings  []jsonFinding `json:"findings"`
	Secrets   []Secret      `json:"secrets"`
	Stats     Stats         `json:"stats"`
	Baselined int           `json:"baselined,omitempty"`
}

// jsonFinding writes first_seen and last_seen as null while zero: a
// secrets scan does not track findings in ward's store.
type jsonFinding struct {
	inventory.Finding
	FirstSeen *time.Time `json:"first_seen"`
	LastSeen  *time.Time `json:"last_seen"`
}

func jsonReportOf(r *Report) jsonReport {
	out := jsonReport{Findings: make([]jsonFinding, 0, len(r.Findings)), Secrets: r.Secrets,
		Stats: r.Stats, Baselined: r.Baselined}
	if out.Secrets == nil {
		out.Secrets = []Secret{}
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{Finding: f,
			FirstSeen: timeOrNil(f.FirstSeen), LastSeen: timeOrNil(f.LastSeen)})
	}
	return out
}

// timeOrNil returns t in UTC, or nil when it is zero.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func writeTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(r.Findings) > 0 {
		fmt.Fprintln(tw, "SEVERITY\tRULE\tWHERE\tWHAT\tSECRET\tFINGERPRINT")
	}
	bySecret := map[string]Secret{}
	for _, sc := range r.Secrets {
		if _, ok := bySecret[sc.Fingerprint]; !ok {
			bySecret[sc.Fingerprint] = sc
		}
	}
	for _, f := range r.Findings {
		sc := bySecret[f.Fingerprint]
		what := describe(sc)
		if f.AccountID != "" {
			what += " [account " + f.AccountID + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.Severity, f.RuleID,
			capMiddle(escapeText(location(sc)), maxWhere), escapeText(what),
			escapeText(sc.Redacted), f.Fingerprint)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	_, err := fmt.Fprintln(w, summary(r))
	return err
}

// summary is the closing line: how many findings at which levels, what
// was read and what was skipped.
func summary(r *Report) string {
	counts := map[inventory.Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
	}
	var parts []string
	for _, s := range []inventory.Severity{inventory.SeverityCritical, inventory.SeverityHigh,
		inventory.SeverityMedium, inventory.SeverityLow, inventory.SeverityInfo} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d finding(s)", len(r.Findings))
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	fmt.Fprintf(&b, "; read %d file(s), %s", r.Stats.Files, sizeOf(r.Stats.Bytes))
	if r.Stats.Commits > 0 {
		fmt.Fprintf(&b, " in %d commit(s)", r.Stats.Commits)
	}
	if r.Baselined > 0 {
		fmt.Fprintf(&b, "; %d accepted by the baseline", r.Baselined)
	}
	if r.Stats.Allowed > 0 {
		fmt.Fprintf(&b, "; %d allowlisted", r.Stats.Allowed)
	}
	if len(r.Stats.Skipped) > 0 {
		reasons := make([]string, 0, len(r.Stats.Skipped))
		for k, v := range r.Stats.Skipped {
			reasons = append(reasons, fmt.Sprintf("%d %s", v, k))
		}
		sort.Strings(reasons)
		b.WriteString("; skipped: " + strings.Join(reasons, ", "))
	}
	return b.String()
}

func sizeOf(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// maxWhere caps the WHERE column of the table, in runes, so that a very
// long path does not push every row off the screen.
const maxWhere = 96

// escapeText keeps file names and content from steering the terminal
// (see termtext.Clean).
func escapeText(s string) string { return termtext.Clean(s) }

// capMiddle shortens s to at most n runes by cutting its middle, keeping
// the start of the path and its file name and line.
func capMiddle(s string, n int) string {
	if utf8.RuneCountInString(s) <= n || n < 3 {
		return s
	}
	rs := []rune(s)
	head := (n - 1) / 3
	tail := n - 1 - head
	return string(rs[:head]) + "…" + string(rs[len(rs)-tail:])
}
