package logtail

import (
	"testing"

	"github.com/wardsec/ward/internal/pglog"
)

const (
	csvRow1 = `2026-12-04 15:11:58.353 UTC,"alice","ehr",25965,"127.0.0.1:33990",6b12d83e.656d,2,"authentication",2026-12-04 15:11:58 UTC,3/52,0,LOG,00000,"connection authorized",,,,,,,,,"","client backend",,0` + "\n"
	csvRow2 = `2026-12-04 15:11:59.000 UTC,"alice","ehr",25965,"127.0.0.1:33990",6b12d83e.656d,3,"idle",2026-12-04 15:11:58 UTC,3/53,0,LOG,00000,"statement: INSERT INTO t VALUES ('a` + "\n" + `b ""x"" ,c')",,,,,,,,,"","client backend",,0` + "\n"
)

func TestRecordsEnd(t *testing.T) {
	stderr := "2026-12-04 15:11:58.345 UTC [1] LOG:  statement: SELECT 1\n" +
		"2026-12-04 15:11:58.346 UTC [2] ERROR:  permission denied for table patient\n" +
		"2026-12-04 15:11:58.346 UTC [2] STATEMENT:  SELECT *\n" +
		"\tFROM clinical.patient\n"
	tests := []struct {
		name  string
		f     pglog.Format
		data  string
		atEOF bool
		full  bool
		want  int
	}{
		{"csv whole rows", pglog.FormatCSV, csvRow1 + csvRow2, false, false, len(csvRow1 + csvRow2)},
		{"csv cut inside a quoted newline", pglog.FormatCSV, csvRow1 + csvRow2[:180], false, false, len(csvRow1)},
		{"csv partial last row at EOF", pglog.FormatCSV, csvRow1 + csvRow2[:40], true, false, len(csvRow1)},
		{"csv unbalanced quotes, full buffer", pglog.FormatCSV,
			`2026-12-04 15:11:58.353 UTC,"broken` + "\n" + csvRow1, false, true, 36},
		{"json last line", pglog.FormatJSON, "{\"a\":1}\n{\"a\":2}\n{\"a\"", false, false, 16},
		{"stderr before the last message", pglog.FormatStderr, stderr, false, false,
			len(stderr) - len("2026-12-04 15:11:58.346 UTC [2] ERROR:  permission denied for table patient\n"+
				"2026-12-04 15:11:58.346 UTC [2] STATEMENT:  SELECT *\n\tFROM clinical.patient\n")},
		{"stderr at EOF to the last line end", pglog.FormatStderr, stderr + "2026-12-04 15:1", true, false, len(stderr)},
		{"stderr one message", pglog.FormatStderr, "2026-12-04 15:11:58 UTC [1] LOG:  x\n", false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := recordsEnd(tc.f, []byte(tc.data), tc.atEOF, tc.full); got != tc.want {
				t.Errorf("recordsEnd = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestStderrEndAvoidsAuthenticated(t *testing.T) {
	data := "2026-12-04 15:11:58.345 UTC [7] LOG:  connection received: host=127.0.0.1 port=1\n" +
		"2026-12-04 15:11:58.353 UTC [7] LOG:  connection authenticated: identity=\"a\" method=md5\n" +
		"2026-12-04 15:11:58.354 UTC [7] LOG:  connection authorized: user=a database=b\n" +
		"2026-12-04 15:11:58.355 UTC [7] LOG:  statement: SELECT 1\n"
	got := stderrEnd([]byte(data))
	authorized := len("2026-12-04 15:11:58.345 UTC [7] LOG:  connection received: host=127.0.0.1 port=1\n" +
		"2026-12-04 15:11:58.353 UTC [7] LOG:  connection authenticated: identity=\"a\" method=md5\n")
	// The last start (the statement) is fine; after dropping it, the next
	// candidate would be right after the authenticated line.
	if want := len(data) - len("2026-12-04 15:11:58.355 UTC [7] LOG:  statement: SELECT 1\n"); got != want {
		t.Fatalf("stderrEnd = %d, want %d", got, want)
	}
	if got := stderrEnd([]byte(data[:authorized+10])); got == authorized {
		t.Errorf("stderrEnd cut right after the authenticated line")
	}
}

func TestStartsMessage(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"2026-12-04 15:11:58 UTC [1] LOG:  x", true},
		{"2026-12-04 15:11:58 UTC [1] ERROR:  x", true},
		{"2026-12-04 15:11:58 UTC [1] user@db DETAIL:  x", false},
		{"2026-12-04 15:11:58 UTC [1] STATEMENT:  SELECT 'LOG:  '", false},
		{"\tcontinued LOG:  x", false},
		{"garbage without a label\n", true},
		{"2026-12-04 15:11:58 UTC [1] user@db DET", false},
		{"2026-12-04 [1]: user=a,app=XLOG:  x\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			if got := startsMessage([]byte(tc.line)); got != tc.want {
				t.Errorf("startsMessage = %v, want %v", got, tc.want)
			}
		})
	}
}
