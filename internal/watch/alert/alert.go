// Package alert carries the alerts of `ward watch` to where an operator
// sees them: JSON lines on stdout, a signed webhook, syslog (RFC 5424).
//
// An Alert names accounts, programs, addresses, objects and counts; it has
// no field for statement, message or parameter text, so neither a PHI value
// written in a query nor a credential can reach a receiver through it.
// Sinks that talk to the network queue alerts in a bounded queue and
// deliver them from their own goroutine: Send never waits for a receiver,
// and when the queue is full the oldest alert is dropped and counted.
package alert

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// Alert is one detection, or the summary of its repeats. Every text field
// holds a name, an address or a number, cleaned of control characters
// and cut to MaxField bytes.
type Alert struct {
	// ID identifies the alert; the summary of repeats has its own ID and
	// names the first alert in GroupOf.
	ID string `json:"id"`
	// Raised is when ward emitted the alert (its clock).
	Raised time.Time `json:"raised"`
	// Time is when the server logged the event that raised it; for a
	// summary of repeats, the first of them.
	Time time.Time `json:"time"`
	// LastTime is the time of the last repeat of a summary.
	LastTime time.Time `json:"last_time,omitzero"`
	// Detector names the check that fired, such as "interactive_use".
	Detector string             `json:"detector"`
	Severity inventory.Severity `json:"severity"`
	// Source is the configured source; Account is the account ID
	// ("ehr/etl_loader"), User its native name, Kind its kind.
	Source  string         `json:"source"`
	Account string         `json:"account"`
	User    string         `json:"user"`
	Kind    inventory.Kind `json:"account_kind"`
	// Key is what makes this alert distinct for its detector and account:
	// the new address, the program, the object, the hour. Repeats of the
	// same detector, account and key within the group window are counted
	// into one summary.
	Key string `json:"key,omitempty"`
	// Summary is one sentence for a person, built from the fields below.
	Summary string `json:"summary"`
	// Count is how many events the alert stands for: 1 for a first
	// alert, the number of repeats for a summary.
	Count int `json:"count"`
	// Grouped marks the summary of the repeats of alert GroupOf, sent when
	// its group window ends.
	Grouped bool   `json:"grouped,omitempty"`
	GroupOf string `json:"group_of,omitempty"`

	Database    string            `json:"database,omitempty"`
	ClientAddr  string            `json:"client_addr,omitempty"`
	Application string            `json:"application,omitempty"`
	ObjectType  string            `json:"object_type,omitempty"`
	Object      string            `json:"object,omitempty"`
	Command     string            `json:"command,omitempty"`
	Outcome     inventory.Outcome `json:"outcome,omitempty"`
	SessionID   string            `json:"session_id,omitempty"`
	// Targets are the roles a role or grant change acted on.
	Targets []string `json:"targets,omitempty"`
	// HourUTC is the hour of day (0-23, UTC) of an off-hours alert.
	HourUTC *int `json:"hour_utc,omitempty"`
	// Observed and Threshold are the counts behind a volume spike (events
	// in one minute) or a failed-login burst (failures in the window).
	Observed  int `json:"observed,omitempty"`
	Threshold int `json:"threshold,omitempty"`
	// Pos points at the log record that raised the alert; the record
	// itself is not copied.
	Pos inventory.Position `json:"pos"`
}

// MaxField bounds each text field of an alert.
const MaxField = 200

// Clean makes s safe to put in an alert field: control characters become
// spaces, invalid UTF-8 becomes U+FFFD, and the result is cut to MaxField
// bytes on a character boundary.
func Clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > MaxField {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isClean reports whether Clean would return s unchanged.
func isClean(s string) bool {
	if len(s) > MaxField {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Sink is a destination of alerts.
type Sink interface {
	// Send hands an alert to the sink. It does not wait for a network
	// receiver; a sink that cannot keep up drops its oldest alerts.
	Send(a Alert)
	// Close delivers what is still queued until ctx ends, then releases
	// the sink. Alerts not delivered by then are counted as dropped.
	Close(ctx context.Context) error
}

// Stats count what a sink did with the alerts it was sent.
type Stats struct {
	Sent    int64 `json:"sent"`
	Failed  int64 `json:"failed"`
	Dropped int64 `json:"dropped"`
}

// Counter is a sink that reports its Stats.
type Counter interface {
	Stats() Stats
}

// Multi sends every alert to each of its sinks in turn.
type Multi []Sink

// Send implements Sink.
func (m Multi) Send(a Alert) {
	for _, s := range m {
		s.Send(a)
	}
}

// Close implements Sink; it closes every sink and joins their errors.
func (m Multi) Close(ctx context.Context) error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.Close(ctx))
	}
	return errors.Join(errs...)
}
