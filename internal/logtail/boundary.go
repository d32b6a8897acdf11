package logtail

import (
	"bytes"

	"github.com/wardsec/ward/internal/pglog"
)

// recordsEnd returns the length of the longest prefix of data that holds
// only whole records of format f, data starting at a record boundary.
//
// When atEOF is false more data follows, and the prefix ends where a
// record is known to start. When atEOF is true nothing follows for now:
// the prefix runs to the last line end, or for csvlog to the last line end
// outside quotes; what comes after it is a record still being written.
//
// full says data cannot grow: a csvlog whose quotes never balance, as in
// a damaged file, is then cut at the last line that starts like a csvlog
// row, so that the damage does not spread.
func recordsEnd(f pglog.Format, data []byte, atEOF, full bool) int {
	switch f {
	case pglog.FormatCSV:
		end, in := csvEnd(data)
		if full && in {
			if s := lastLineStarting(data, csvStart); s > end {
				return s
			}
		}
		return end
	case pglog.FormatJSON:
		return bytes.LastIndexByte(data, '\n') + 1
	}
	if atEOF {
		return stderrTail(data)
	}
	return stderrEnd(data)
}

// csvEnd returns the end of the last csvlog row of data: the last newline
// outside double quotes (a doubled quote toggles twice); in says whether
// data ends inside quotes.
func csvEnd(data []byte) (end int, in bool) {
	for i := 0; i < len(data); {
		q := bytes.IndexByte(data[i:], '"')
		if q < 0 {
			q = len(data) - i
		}
		if !in {
			if nl := bytes.LastIndexByte(data[i:i+q], '\n'); nl >= 0 {
				end = i + nl + 1
			}
		}
		i += q + 1
		if i <= len(data) {
			in = !in
		}
	}
	return end, in
}

// csvStart reports whether line starts like a csvlog row: a timestamp
// (2024-01-31 23:59:59) and later a comma.
func csvStart(line []byte) bool {
	if len(line) < 20 {
		return false
	}
	for i, c := range line[:19] {
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != ' ' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return bytes.IndexByte(line[19:min(len(line), 64)], ',') >= 0
}

// lastLineStarting returns the start of the last line of data, after the
// first, for which ok holds, or 0.
func lastLineStarting(data []byte, ok func([]byte) bool) int {
	for end := len(data); end > 0; {
		nl := bytes.LastIndexByte(data[:end], '\n')
		if nl < 0 {
			return 0
		}
		if start := nl + 1; start < len(data) && ok(data[start:]) {
			return start
		}
		end = nl
	}
	return 0
}

// maxBacktrack bounds how many record starts stderrEnd passes over to
// avoid cutting inside a login.
const maxBacktrack = 8

// loginLines are the lines of a login that come before the one naming its
// user. The parser joins them to the lines that follow; a stderr log
// without %u cut right after one of them, and read on by a new parser
// (after a crash, or by the next run), loses the client address or the
// identity of that session.
var loginLines = [][]byte{[]byte("connection received: "), []byte("connection authenticated: ")}

// stderrEnd returns the start of the last line of data that does not
// belong to the message before it: a line that does not start with a TAB
// (a continuation) and whose severity is not that of a DETAIL, HINT,
// CONTEXT, STATEMENT, QUERY or LOCATION line. It prefers a start that
// does not follow a line of a login in progress (loginLines).
func stderrEnd(data []byte) int {
	first := 0
	for end, seen := len(data), 0; end > 0 && seen < maxBacktrack; {
		nl := bytes.LastIndexByte(data[:end], '\n')
		if nl < 0 {
			break
		}
		end = nl
		start := nl + 1
		if start >= len(data) || !startsMessage(data[start:]) {
			continue
		}
		if first == 0 {
			first = start
		}
		seen++
		if !afterLogin(data[:start]) {
			return start
		}
	}
	return first
}

// stderrTail returns where whole stderr records end in data, nothing
// following for now: at the last line end, moved back before the lines
// of a login in progress, which the next line will complete.
func stderrTail(data []byte) int {
	end := bytes.LastIndexByte(data, '\n') + 1
	for i := 0; i < maxBacktrack && end > 0 && afterLogin(data[:end]); i++ {
		end = bytes.LastIndexByte(data[:end-1], '\n') + 1
	}
	return end
}

// afterLogin reports whether the last line of data (which ends with a
// newline) is a line of a login in progress.
func afterLogin(data []byte) bool {
	if len(data) == 0 {
		return false
	}
	prev := data[bytes.LastIndexByte(data[:len(data)-1], '\n')+1:]
	for _, l := range loginLines {
		if bytes.Contains(prev, l) {
			return true
		}
	}
	return false
}

// severities are the labels that start a stderr message, and parts those
// of the lines that belong to the message before them.
var (
	severities = []string{"LOG", "ERROR", "FATAL", "PANIC", "WARNING", "NOTICE", "INFO",
		"DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "DEBUG", "STATEMENT", "DETAIL",
		"HINT", "CONTEXT", "QUERY", "LOCATION"}
	parts = map[string]bool{"STATEMENT": true, "DETAIL": true, "HINT": true,
		"CONTEXT": true, "QUERY": true, "LOCATION": true}
)

// startsMessage reports whether line starts something new in a stderr
// log: it is not a TAB continuation and its first "LABEL:  " (PostgreSQL
// puts two spaces after the severity) is not that of a line belonging to
// the message before. A line with no label at all, which the parser skips,
// starts something new too, once it is whole: the start of a line cut at
// the end of the data cannot tell yet.
func startsMessage(line []byte) bool {
	if len(line) == 0 || line[0] == '\t' {
		return false
	}
	whole := false
	if nl := bytes.IndexByte(line, '\n'); nl >= 0 {
		line, whole = line[:nl], true
	}
	line = line[:min(len(line), 1024)]
	for i := 0; ; {
		k := bytes.Index(line[i:], []byte(":  "))
		if k < 0 {
			return whole || len(line) == 1024
		}
		at := i + k
		for _, s := range severities {
			if at >= len(s) && string(line[at-len(s):at]) == s &&
				(at == len(s) || !isUpper(line[at-len(s)-1])) {
				return !parts[s]
			}
		}
		i = at + 3
	}
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
