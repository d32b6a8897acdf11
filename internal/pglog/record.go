package pglog

import (
	"bytes"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// record is one log record in a format-neutral shape: byte slices into the
// read buffer, valid until the record is consumed.
type record struct {
	time        time.Time
	unknownZone bool
	user, db    []byte
	app         []byte
	session     []byte
	host        []byte
	port        int
	pid         int
	line        int64
	sev         []byte
	sqlstate    []byte
	message     []byte
	detail      []byte
	hint        []byte
	context     []byte
	query       []byte
	internal    []byte
	// start is the backend start time (stderr %s), zero if unknown.
	start  time.Time
	stderr bool
	pos    inventory.Position
}

// csvlog columns (PostgreSQL 15). Versions 9.0-12 write the first 23,
// 13 adds backend_type, 14 adds leader_pid and query_id.
const (
	csvTime = iota
	csvUser
	csvDB
	csvPID
	csvFrom
	csvSession
	csvLine
	csvTag
	csvStart
	csvVXID
	csvXID
	csvSeverity
	csvState
	csvMessage
	csvDetail
	csvHint
	csvInternal
	csvInternalPos
	csvContext
	csvQuery
	csvQueryPos
	csvLocation
	csvApp
	csvMinFields = 23
	csvMaxFields = 26
)

// fromCSV fills rec from the fields of a csvlog record in data; false when
// it is not one.
func (p *Parser) fromCSV(rec *record, data []byte, spans []csvField) bool {
	if len(spans) < csvMinFields || len(spans) > csvMaxFields ||
		spans[csvSeverity].start == spans[csvSeverity].end {
		return false
	}
	f := func(i int) []byte { return data[spans[i].start:spans[i].end:spans[i].end] }
	*rec = record{}
	t, unknown, ok := p.times.parse(f(csvTime))
	if !ok {
		return false
	}
	rec.time, rec.unknownZone = t, unknown
	rec.user, rec.db, rec.app, rec.session = f(csvUser), f(csvDB), f(csvApp), f(csvSession)
	rec.pid = atoi(f(csvPID))
	rec.line = int64(atoi(f(csvLine)))
	rec.host, rec.port = splitHostPort(f(csvFrom))
	rec.sev, rec.sqlstate = f(csvSeverity), f(csvState)
	rec.message, rec.detail, rec.hint = f(csvMessage), f(csvDetail), f(csvHint)
	rec.internal, rec.context, rec.query = f(csvInternal), f(csvContext), f(csvQuery)
	return true
}

// fromJSON fills rec from a jsonlog object; false when it is not one.
func (p *Parser) fromJSON(rec *record, kvs []jsonKV) bool {
	*rec = record{}
	var ts []byte
	for _, kv := range kvs {
		v := kv.val
		if !kv.str && string(v) == "null" {
			continue
		}
		switch string(kv.key) {
		case "timestamp":
			ts = v
		case "user":
			rec.user = v
		case "dbname":
			rec.db = v
		case "pid":
			rec.pid = atoi(v)
		case "remote_host":
			rec.host = v
		case "remote_port":
			rec.port = atoi(v)
		case "session_id":
			rec.session = v
		case "line_num":
			rec.line = int64(atoi(v))
		case "error_severity":
			rec.sev = v
		case "state_code":
			rec.sqlstate = v
		case "message":
			rec.message = v
		case "detail":
			rec.detail = v
		case "hint":
			rec.hint = v
		case "internal_query":
			rec.internal = v
		case "context":
			rec.context = v
		case "statement":
			rec.query = v
		case "application_name":
			rec.app = v
		}
	}
	if ts == nil || len(rec.sev) == 0 {
		return false
	}
	t, unknown, ok := p.times.parse(ts)
	if !ok {
		return false
	}
	rec.time, rec.unknownZone = t, unknown
	return true
}

// atoi reads a decimal integer, 0 when b is not one.
func atoi(b []byte) int {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// splitHostPort splits csvlog's connection_from, "host:port" or "[local]".
func splitHostPort(b []byte) ([]byte, int) {
	if len(b) == 0 || b[0] == '[' {
		return b, 0
	}
	i := bytes.LastIndexByte(b, ':')
	if i < 0 {
		return b, 0
	}
	port := atoi(b[i+1:])
	if port == 0 {
		return b, 0
	}
	return b[:i], port
}

// splitRemote splits the stderr %r value, "host(port)" or "[local]".
func splitRemote(b []byte) ([]byte, int) {
	if n := len(b); n > 2 && b[n-1] == ')' {
		if i := bytes.LastIndexByte(b, '('); i > 0 {
			if port := atoi(b[i+1 : n-1]); port > 0 {
				return b[:i], port
			}
		}
	}
	return b, 0
}

// unknown turns the "[unknown]" PostgreSQL prints before authentication
// into nothing.
func unknown(b []byte) []byte {
	if string(b) == "[unknown]" {
		return nil
	}
	return b
}
