package pglog

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/inventory"
)

// Seeds live in testdata/fuzz/<Target>/ (corpus lines and edge cases).

// FuzzCSV checks the hand-written CSV scanner against encoding/csv on the
// first record, and the whole csvlog parser for panics and leftovers.
func FuzzCSV(f *testing.F) {
	f.Add([]byte(goodCSV))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.IndexByte(data, '\r') < 0 {
			compareCSV(t, data)
		}
		checkParser(t, Options{Format: FormatCSV}, data)
	})
}

// compareCSV compares the first non-blank record of data.
func compareCSV(t *testing.T, data []byte) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	want, wantErr := r.Read()
	var s csvScanner
	buf := bytes.Clone(data)
	for {
		n, got, err := s.scan(buf, true)
		if err == nil && len(got) == 0 && n > 0 {
			buf = buf[n:]
			continue
		}
		if errors.Is(wantErr, io.EOF) {
			if len(buf) != 0 {
				t.Fatalf("encoding/csv saw no record, scanner got %q (%v)", got, err)
			}
			return
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("scanner err %v, encoding/csv err %v on %q", err, wantErr, data)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("scanner %q, encoding/csv %q", got, want)
		}
		for i := range got {
			if string(got[i]) != want[i] {
				t.Fatalf("field %d: scanner %q, encoding/csv %q", i, got[i], want[i])
			}
		}
		return
	}
}

// FuzzJSON checks the flat-object scanner against encoding/json and the
// jsonlog parser for panics and leftovers.
func FuzzJSON(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-12-04 15:11:58.413 UTC","error_severity":"LOG","message":"statement: ALTER ROLE x PASSWORD 'FAKE'"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.IndexByte(data, '\n') < 0 {
			compareJSON(t, data)
		}
		checkParser(t, Options{Format: FormatJSON}, data)
	})
}

func compareJSON(t *testing.T, data []byte) {
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	wantErr := dec.Decode(&want)
	if wantErr == nil {
		var rest json.RawMessage
		if dec.Decode(&rest) != io.EOF {
			wantErr = errors.New("trailing data")
		}
	}
	if wantErr == nil && want == nil {
		wantErr = errors.New("null") // the scanner wants an object
	}
	var s jsonScanner
	kvs, err := s.scan(bytes.Clone(data))
	if wantErr != nil {
		if err == nil {
			t.Fatalf("scanner accepted %q, encoding/json: %v", data, wantErr)
		}
		return
	}
	for _, v := range want {
		switch v.(type) {
		case map[string]any, []any:
			return // nested: rejected by design
		}
	}
	if err != nil {
		t.Fatalf("scanner: %v on %q, encoding/json accepted it", err, data)
	}
	got := map[string]any{}
	for _, kv := range kvs {
		k := string([]rune(string(kv.key)))
		switch {
		case kv.str:
			got[k] = string([]rune(string(kv.val)))
		case string(kv.val) == "true", string(kv.val) == "false":
			got[k] = string(kv.val) == "true"
		case string(kv.val) == "null":
			got[k] = nil
		default:
			got[k] = json.Number(kv.val)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("scanner %v, encoding/json %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %q: scanner %#v, encoding/json %#v", k, got[k], v)
		}
	}
}

// FuzzStderr runs the stderr parser (prefix inference, prefix changes,
// continuation and DETAIL lines) on arbitrary input.
func FuzzStderr(f *testing.F) {
	f.Add([]byte(goodLog))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParser(t, Options{Format: FormatStderr}, data)
		checkParser(t, Options{Format: FormatStderr, Prefix: "%m [%p] %q%u@%d/%a %r %c "}, data)
	})
}

// FuzzAudit checks the pgaudit field reader against encoding/csv.
func FuzzAudit(f *testing.F) {
	f.Add([]byte(`SESSION,1,1,READ,SELECT,TABLE,clinical.patient,"SELECT a, b FROM t",<none>,2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a auditScanner
		var row auditRow
		ok := a.scan(bytes.Clone(data), &row)
		if bytes.IndexByte(data, '\r') >= 0 || bytes.IndexByte(data, '\n') >= 0 {
			return
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		rec, err := r.Read()
		if err == nil {
			if _, err2 := r.Read(); err2 != io.EOF {
				err = errors.New("more than one record")
			}
		}
		valid := err == nil && len(rec) >= 9 && len(rec) <= 10 &&
			(rec[0] == "SESSION" || rec[0] == "OBJECT")
		if ok != valid {
			t.Fatalf("scan ok=%v, encoding/csv valid=%v (%v) on %q", ok, valid, err, data)
		}
		if ok && (string(row.statement) != rec[7] || string(row.parameter) != rec[8] ||
			string(row.objName) != rec[6] || string(row.command) != rec[4]) {
			t.Fatalf("row %+v, encoding/csv %q", row, rec)
		}
	})
}

// FuzzRedact checks that a password in a role statement never survives,
// whatever surrounds it, and that redaction leaves nothing to redact.
func FuzzRedact(f *testing.F) {
	f.Add("CREATE ROLE x LOGIN PASSWORD ", "FAKE-secret", " VALID UNTIL 'infinity'")
	f.Add("SELECT dblink_connect('host=h user=u password=", "FAKE-pw", "')")
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		in := before + secret + after
		out, leaks := Redact(in, "u")
		if again, more := Redact(out, "u"); again != out || len(more) != 0 {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if len(leaks) == 0 && out != in {
			t.Fatalf("changed %q to %q without a leak", in, out)
		}
		// A clean quoted password after a PASSWORD keyword must go.
		if len(secret) >= 6 && strings.HasSuffix(strings.ToUpper(before), " PASSWORD ") &&
			!strings.ContainsAny(secret, "'\\$") && !strings.Contains(before+after, secret) &&
			secret != Redacted && strings.Trim(secret, "*") != "" {
			quoted := before + "'" + secret + "'" + after
			got, _ := Redact(quoted, "u")
			if strings.Contains(got, secret) {
				t.Fatalf("secret kept: %q -> %q", quoted, got)
			}
		}
	})
}

// checkParser parses data and checks the invariants every output keeps:
// no text field holds anything the redactor would still find, counts add
// up, nothing panics.
func checkParser(t *testing.T, opts Options, data []byte) {
	t.Helper()
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var events int64
	var red redactor
	sink := Sink{Event: func(e inventory.Event) error {
		events++
		for _, s := range []string{e.Statement, e.Message, e.Detail, e.Parameters,
			e.Audit.Parameter} {
			if !e.StatementTruncated && len(red.scan([]byte(s), e.User)) > 0 {
				t.Fatalf("event text still holds a credential: %q", s)
			}
		}
		return nil
	}}
	st, err := p.Parse(context.Background(), bytes.NewReader(data), "fuzz", sink)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	gz := bytes.HasPrefix(data, []byte{0x1f, 0x8b})
	if st.Events != events || st.Events > st.Records || !gz && st.Bytes > int64(len(data)) {
		t.Fatalf("stats do not add up: %+v, %d events sent, %d bytes", st, events, len(data))
	}
}
