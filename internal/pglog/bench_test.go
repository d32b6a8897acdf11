package pglog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// benchBytes is the size of the generated csvlog: WARD_BENCH_BYTES, or 64 MiB.
func benchBytes(b *testing.B) int64 {
	b.Helper()
	if v := os.Getenv("WARD_BENCH_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			b.Fatalf("WARD_BENCH_BYTES=%q: want a positive byte count", v)
		}
		return n
	}
	return 64 << 20
}

// WriteBenchLog writes a csvlog of at least size bytes to w by repeating
// the records of the corpus csvlog files of dir in order. Each repetition
// shifts log_time and session_start_time forward past the previous one,
// offsets the pids and derives the session ids again, so the log stays in
// time order and sessions stay distinct. It returns the records written.
func writeBenchLog(w io.Writer, dir string, size int64) (int64, error) {
	var recs [][]byte
	phases, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(phases) == 0 {
		return 0, fmt.Errorf("no csvlog files in %s", dir)
	}
	for _, ph := range phases {
		data, err := os.ReadFile(ph)
		if err != nil {
			return 0, err
		}
		var s csvScanner
		for len(data) > 0 {
			n, _, err := s.scan(bytes.Clone(data), true)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", ph, err)
			}
			recs = append(recs, data[:n])
			data = data[n:]
		}
	}
	first, err := recordTime(recs[0])
	if err != nil {
		return 0, err
	}
	last, err := recordTime(recs[len(recs)-1])
	if err != nil {
		return 0, err
	}
	period := last.Sub(first).Truncate(time.Second) + time.Minute
	bw := bufio.NewWriterSize(w, 1<<20)
	var written, count int64
	for rep := 0; written < size; rep++ {
		shift := time.Duration(rep) * period
		for _, r := range recs {
			out, err := shiftRecord(r, shift, rep)
			if err != nil {
				return count, err
			}
			n, err := bw.Write(out)
			if err != nil {
				return count, err
			}
			written += int64(n)
			count++
		}
	}
	return count, bw.Flush()
}

func recordTime(r []byte) (time.Time, error) {
	return time.Parse("2006-01-02 15:04:05.000 MST", string(r[:bytes.IndexByte(r, ',')]))
}

// shiftRecord rewrites the first nine csvlog fields of r (none of which
// holds a comma in the corpus) for repetition rep.
func shiftRecord(r []byte, shift time.Duration, rep int) ([]byte, error) {
	f := bytes.SplitN(r, []byte(","), 10)
	if len(f) != 10 {
		return nil, errors.New("short record")
	}
	t, err := time.Parse("2006-01-02 15:04:05.000 MST", string(f[0]))
	if err != nil {
		return nil, err
	}
	pid := atoi(f[3])
	if pid > 0 {
		pid = (pid+rep*7919)%4_000_000 + 100
	}
	var start time.Time
	if len(f[8]) > 0 {
		if start, err = time.Parse("2006-01-02 15:04:05 MST", string(f[8])); err != nil {
			return nil, err
		}
		start = start.Add(shift)
	}
	out := make([]byte, 0, len(r)+16)
	out = t.Add(shift).UTC().AppendFormat(out, "2006-01-02 15:04:05.000 MST")
	out = append(out, ',')
	out = append(append(out, f[1]...), ',')
	out = append(append(out, f[2]...), ',')
	out = append(strconv.AppendInt(out, int64(pid), 10), ',')
	out = append(append(out, f[4]...), ',')
	if len(f[5]) > 0 && !start.IsZero() {
		out = append(out, derivedID(start.Unix(), pid)...)
	} else {
		out = append(out, f[5]...)
	}
	out = append(out, ',')
	out = append(append(out, f[6]...), ',')
	out = append(append(out, f[7]...), ',')
	if !start.IsZero() {
		out = start.UTC().AppendFormat(out, "2006-01-02 15:04:05 MST")
	}
	out = append(out, ',')
	return append(out, f[9]...), nil
}

// benchFile generates the benchmark log into a temporary directory after
// checking there is room for it.
func benchFile(b *testing.B) (path string, size, records int64) {
	b.Helper()
	dir := corpusDir(b)
	size = benchBytes(b)
	tmp := b.TempDir()
	var fs syscall.Statfs_t
	if err := syscall.Statfs(tmp, &fs); err != nil {
		b.Fatalf("statfs %s: %v", tmp, err)
	}
	if free := int64(fs.Bavail) * int64(fs.Bsize); free < 2*size {
		b.Skipf("%s has %d bytes free, the benchmark log needs %d", tmp, free, 2*size)
	}
	path = filepath.Join(tmp, "bench.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	records, err = writeBenchLog(f, dir, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size(), records
}

func reportRecords(b *testing.B, records int64) {
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPlainEncodingCSV is the floor: encoding/csv counting the
// records of the generated log, with fresh and with reused records.
func BenchmarkPlainEncodingCSV(b *testing.B) {
	path, size, records := benchFile(b)
	for _, reuse := range []bool{false, true} {
		b.Run("reuse="+strconv.FormatBool(reuse), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
				r.FieldsPerRecord = -1
				r.ReuseRecord = reuse
				var n int64
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				f.Close()
				if n != records {
					b.Fatalf("read %d records, wrote %d", n, records)
				}
			}
			reportRecords(b, records)
		})
	}
}

// BenchmarkCSVParseRedact parses, joins and redacts the generated log into
// events.
func BenchmarkCSVParseRedact(b *testing.B) {
	path, size, records := benchFile(b)
	b.SetBytes(size)
	var st Stats
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		p, err := New(Options{Source: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		var audits int64
		sink := Sink{Event: func(e inventory.Event) error {
			if e.Action == inventory.ActionAudit {
				audits++
			}
			return nil
		}}
		st, err = p.Parse(context.Background(), f, path, sink)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if st.Records != records || st.Skipped != 0 || audits == 0 {
			b.Fatalf("stats %+v, want %d records, none skipped, audit events", st, records)
		}
	}
	reportRecords(b, records)
	b.ReportMetric(float64(st.Events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
