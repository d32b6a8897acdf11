package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// csvHeader names the columns of the findings CSV, in order.
var csvHeader = []string{
	"fingerprint", "severity", "rule_id", "title", "source", "account_id", "resource", "phi",
	"status", "change", "suppressed", "suppression_reason", "suppression_until",
	"suppression_by", "suppression_origin", "first_seen", "last_seen", "resolved_at",
	"citations", "controls", "evidence", "remediation", "fix_language", "fix_apply",
	"fix_rollback",
}

// WriteCSV writes the findings of r as CSV (RFC 4180, CRLF line ends), one
// row per finding after a header row, in the order of the JSON report.
// Lists are joined with "; " (evidence with line breaks, inside the quoted
// cell). change is new, reopened or unchanged when r has changes, and
// empty otherwise. A cell that a spreadsheet would take for a formula
// (starting with =, +, -, @, a tab or a carriage return) is prefixed with
// a single quote, so opening the file runs nothing. r is not modified.
func WriteCSV(w io.Writer, r *inventory.ScanResult) error {
	if r == nil {
		return errNilResult
	}
	return writeFindingsCSV(w, r.Findings, changeStates(r.Changes))
}

// WriteFindingsCSV writes tracked findings, as `ward findings` lists them,
// in the CSV form of WriteCSV; status is resolved for a finding whose
// ResolvedAt is set.
func WriteFindingsCSV(w io.Writer, fs []inventory.Finding) error {
	return writeFindingsCSV(w, fs, nil)
}

func writeFindingsCSV(w io.Writer, fs []inventory.Finding, states map[string]string) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	for _, f := range sortedFindings(fs, compareFindings) {
		if err := cw.Write(safeRow(csvRow(f, states[f.Fingerprint]))); err != nil {
			return fmt.Errorf("write csv report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

func csvRow(f inventory.Finding, change string) []string {
	status := "open"
	if !f.ResolvedAt.IsZero() {
		status = "resolved"
	}
	suppressed, reason, until, by, origin := "no", "", "", "", ""
	if s := f.Suppression; s != nil {
		suppressed = "yes"
		if s.Expired {
			suppressed = "expired"
		}
		reason, until, by, origin = s.Reason, dateOf(s.Until), s.By, originCode(s)
	}
	fixLang, fixApply, fixRollback := "", "", ""
	if f.Fix != nil {
		fixLang, fixApply, fixRollback = f.Fix.Language, f.Fix.Apply, f.Fix.Rollback
	}
	return []string{
		f.Fingerprint, string(f.Severity), f.RuleID, f.Title, f.Source, f.AccountID,
		f.Resource, yesNo(f.PHI), status, change, suppressed, reason, until, by, origin,
		csvTime(f.FirstSeen), csvTime(f.LastSeen), csvTime(f.ResolvedAt),
		strings.Join(f.Citations, "; "), strings.Join(f.Controls, "; "),
		strings.Join(f.Evidence, "\n"), f.Remediation, fixLang, fixApply, fixRollback,
	}
}

// safeRow neutralises cells a spreadsheet would evaluate as formulas.
func safeRow(row []string) []string {
	for i, cell := range row {
		row[i] = SafeCell(cell)
	}
	return row
}

// SafeCell makes a CSV cell safe to open in a spreadsheet: a cell that
// starts with = + - @, a tab or a carriage return would be read as a
// formula, so it gets a leading quote. Every CSV ward writes uses it.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// csvTime writes t in UTC as RFC 3339, or nothing when zero.
func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
