package alert

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

func sampleAlert() Alert {
	hour := 3
	return Alert{
		ID: "a1b2c3", Raised: time.Date(2026, 5, 1, 3, 4, 5, 123456789, time.UTC),
		Time:     time.Date(2026, 5, 1, 3, 4, 4, 0, time.UTC),
		Detector: "interactive_use", Severity: inventory.SeverityHigh,
		Source: "ehr", Account: "ehr/etl_loader", User: "etl_loader", Kind: inventory.KindService,
		Key: "psql", Summary: "service account etl_loader used from interactive program psql",
		Count: 1, Database: "ehr", ClientAddr: "10.0.0.7", Application: "psql",
		HourUTC: &hour, Pos: inventory.Position{File: "/var/log/pg.csv", Offset: 42, Line: 3},
	}
}

func TestFormatRFC5424(t *testing.T) {
	h := Header{Facility: FacilityAuthPriv, Hostname: "db-host", AppName: "ward", ProcID: "77"}
	tests := []struct {
		name   string
		header Header
		alert  func(*Alert)
		check  func(t *testing.T, m *syslogMsg)
	}{
		{
			name: "header and fields", header: h, alert: func(*Alert) {},
			check: func(t *testing.T, m *syslogMsg) {
				// authpriv (10) * 8 + error (3) for high.
				want := syslogMsg{Pri: 83, Version: 1, Timestamp: "2026-05-01T03:04:05.123456Z",
					Hostname: "db-host", AppName: "ward", ProcID: "77", MsgID: "interactive_use"}
				got := syslogMsg{Pri: m.Pri, Version: m.Version, Timestamp: m.Timestamp,
					Hostname: m.Hostname, AppName: m.AppName, ProcID: m.ProcID, MsgID: m.MsgID}
				if got.Pri != want.Pri || got.Version != want.Version ||
					got.Timestamp != want.Timestamp || got.Hostname != want.Hostname ||
					got.AppName != want.AppName || got.ProcID != want.ProcID ||
					got.MsgID != want.MsgID {
					t.Errorf("header = %+v, want %+v", got, want)
				}
				for k, v := range map[string]string{"account": "ehr/etl_loader",
					"kind": "service", "key": "psql", "client_addr": "10.0.0.7",
					"hour_utc": "3", "offset": "42", "line": "3", "count": "1",
					"event_time": "2026-05-01T03:04:04.000000Z"} {
					if got, _ := m.param(SDID, k); got != v {
						t.Errorf("param %s = %q, want %q", k, got, v)
					}
				}
				if !m.BOM || m.Msg != "service account etl_loader used from interactive program psql" {
					t.Errorf("MSG = %q (BOM %v)", m.Msg, m.BOM)
				}
			},
		},
		{
			name: "values that need escaping", header: h,
			alert: func(a *Alert) { a.Application = `evil"] [x y="z\` },
			check: func(t *testing.T, m *syslogMsg) {
				if got, _ := m.param(SDID, "application"); got != `evil"] [x y="z\` {
					t.Errorf("application = %q", got)
				}
				if len(m.SDIDs) != 1 {
					t.Errorf("SD-IDs = %v, want only %s", m.SDIDs, SDID)
				}
			},
		},
		{
			name: "control characters and bad UTF-8", header: h,
			alert: func(a *Alert) {
				a.Key = "a\nb\x00c\xff"
				a.Summary = "line1\nline2"
			},
			check: func(t *testing.T, m *syslogMsg) {
				if got, _ := m.param(SDID, "key"); got != "a b c\uFFFD" {
					t.Errorf("key = %q", got)
				}
				if m.Msg != "line1 line2" {
					t.Errorf("MSG = %q", m.Msg)
				}
			},
		},
		{
			name:   "empty header fields become NILVALUE",
			header: Header{Facility: 99, Hostname: "two words\x01", AppName: "", ProcID: " "},
			alert:  func(a *Alert) { a.Severity = inventory.SeverityLow },
			check: func(t *testing.T, m *syslogMsg) {
				// an out-of-range facility falls back to authpriv; low → notice (5).
				if m.Pri != 85 || m.Hostname != "twowords" || m.AppName != "-" || m.ProcID != "-" {
					t.Errorf("got pri %d host %q app %q proc %q", m.Pri, m.Hostname, m.AppName, m.ProcID)
				}
			},
		},
		{
			name: "long detector cut to 32", header: h,
			alert: func(a *Alert) { a.Detector = strings.Repeat("d", 40) },
			check: func(t *testing.T, m *syslogMsg) {
				if len(m.MsgID) != 32 {
					t.Errorf("MSGID has %d bytes", len(m.MsgID))
				}
			},
		},
		{
			name: "no summary, no MSG", header: h,
			alert: func(a *Alert) { a.Summary = "" },
			check: func(t *testing.T, m *syslogMsg) {
				if m.BOM || m.Msg != "" {
					t.Errorf("MSG = %q", m.Msg)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sampleAlert()
			tt.alert(&a)
			out := FormatRFC5424(tt.header, a)
			m, err := parseRFC5424(out)
			if err != nil {
				t.Fatalf("strict parse of %q: %v", out, err)
			}
			tt.check(t, m)
		})
	}
}

func TestStrictParserRejects(t *testing.T) {
	// The parser must refuse what the grammar forbids, or the formatter
	// tests above would prove nothing.
	bad := map[string]string{
		"PRI over 191":         "<192>1 - - - - - -",
		"leading zero PRI":     "<01>1 - - - - - -",
		"version zero":         "<13>0 - - - - - -",
		"seven fraction":       "<13>1 2026-05-01T03:04:05.1234567Z - - - - -",
		"no offset":            "<13>1 2026-05-01T03:04:05 - - - - -",
		"unescaped bracket":    `<13>1 - - - - - [x@1 a="]"]`,
		"unclosed element":     `<13>1 - - - - - [x@1 a="b"`,
		"long msgid":           "<13>1 - - - - " + strings.Repeat("m", 33) + " -",
		"empty SD-NAME":        `<13>1 - - - - - [ a="b"]`,
		"missing SD":           "<13>1 - - - - -",
		"two spaces":           "<13>1 - - - -  - -",
		"repeated SD-ID":       `<13>1 - - - - - [x@1][x@1]`,
		"bad UTF-8 after BOM":  "<13>1 - - - - - - \xef\xbb\xbf\xff",
		"lone backslash value": `<13>1 - - - - - [x@1 a="\q"]`,
	}
	for name, msg := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := parseRFC5424([]byte(msg)); err == nil {
				t.Errorf("accepted %q", msg)
			}
		})
	}
	t.Run("good minimal", func(t *testing.T) {
		if _, err := parseRFC5424([]byte("<13>1 - - - - - -")); err != nil {
			t.Errorf("refused the minimal message: %v", err)
		}
	})
}

func FuzzFormatRFC5424(f *testing.F) {
	f.Add("interactive_use", "ehr/etl_loader", "psql", "summary", "db-host")
	f.Add("x", `a"b\c]d`, "\x00\n\xff", "\xef\xbb\xbf", "")
	f.Fuzz(func(t *testing.T, detector, account, key, summary, host string) {
		a := sampleAlert()
		a.Detector, a.Account, a.Key, a.Summary = detector, account, key, summary
		out := FormatRFC5424(Header{Hostname: host, AppName: "ward", ProcID: "1"}, a)
		m, err := parseRFC5424(out)
		if err != nil {
			t.Fatalf("strict parse of %q: %v", out, err)
		}
		want := strings.Map(noControl, strings.ToValidUTF8(account, "\uFFFD"))
		if got, ok := m.param(SDID, "account"); want != "" && (!ok || got != want) {
			t.Errorf("account = %q, want %q", got, want)
		}
		if !utf8.ValidString(m.Msg) {
			t.Errorf("MSG not UTF-8: %q", m.Msg)
		}
	})
}
