// Package loggen builds PostgreSQL logs of any size from the real corpus
// logs, for benchmarks and crash tests: the corpus records are repeated,
// each repetition moved later in time and given other backend pids, so the
// log stays in time order and its sessions stay distinct.
package loggen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// The formats Generate writes.
const (
	CSV    = "csvlog"
	Stderr = "stderr"
)

// stderrPhase is the corpus phase repeated for stderr: PostgreSQL's default
// log_line_prefix ('%m [%p] '), which names no user, so that every line
// depends on its session's connection lines. Its last lines, written after
// the prefix was changed, are left out.
const stderrPhase = "pg15-pgaudit17-02-workload-default-prefix.log"

// pidStep moves each repetition's pids away from the previous ones.
const pidStep = 7919

// Generate writes a log of format (CSV or Stderr) of at least size bytes
// to w, repeating the records of the corpus logs in dir (the corpus's
// pg-logs directory): every csvlog phase for CSV, the default-prefix phase
// for Stderr. It returns the number of records written.
func Generate(w io.Writer, dir, format string, size int64) (int64, error) {
	recs, err := corpusRecords(dir, format)
	if err != nil {
		return 0, err
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
	var out []byte
	for rep := 0; written < size; rep++ {
		shift := time.Duration(rep) * period
		for _, r := range recs {
			if format == CSV {
				out, err = shiftCSV(out[:0], r, shift, rep)
			} else {
				out, err = shiftStderr(out[:0], r, shift, rep)
			}
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

// corpusRecords reads the records to repeat: csvlog rows, or stderr lines
// with their TAB continuation lines.
func corpusRecords(dir, format string) ([][]byte, error) {
	var files []string
	switch format {
	case CSV:
		var err error
		if files, err = filepath.Glob(filepath.Join(dir, "*.csv")); err != nil {
			return nil, err
		}
		sort.Strings(files)
	case Stderr:
		files = []string{filepath.Join(dir, stderrPhase)}
	default:
		return nil, fmt.Errorf("loggen: unknown format %q", format)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("loggen: no %s corpus logs in %s", format, dir)
	}
	var recs [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("loggen: %w", err)
		}
		for len(data) > 0 {
			n := recordLen(data, format == CSV)
			if _, err := recordTime(data[:n]); err == nil || format == CSV {
				// The stderr phase ends with lines in the next phase's
				// log_line_prefix; the log keeps to one.
				recs = append(recs, data[:n])
			}
			data = data[n:]
		}
	}
	return recs, nil
}

// recordLen returns the length of the record at the start of data: to the
// newline outside quotes for csvlog, else the line and the TAB lines after.
func recordLen(data []byte, csv bool) int {
	in := false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case csv && c == '"':
			in = !in
		case c == '\n' && !in:
			if csv || i+1 >= len(data) || data[i+1] != '\t' {
				return i + 1
			}
		}
	}
	return len(data)
}

const (
	msLayout  = "2006-01-02 15:04:05.000 MST"
	secLayout = "2006-01-02 15:04:05 MST"
)

func recordTime(r []byte) (time.Time, error) {
	if len(r) < len(msLayout) {
		return time.Time{}, errors.New("loggen: record too short for a timestamp")
	}
	return time.Parse(msLayout, string(r[:len(msLayout)]))
}

func shiftPid(pid, rep int) int {
	if pid <= 0 {
		return pid
	}
	return (pid+rep*pidStep)%4_000_000 + 100
}

// shiftCSV appends to out the csvlog row r moved by shift with its pid,
// session id and session start rewritten for repetition rep. The first
// nine fields of the corpus rows hold no comma inside quotes.
func shiftCSV(out, r []byte, shift time.Duration, rep int) ([]byte, error) {
	f := bytes.SplitN(r, []byte(","), 10)
	if len(f) != 10 {
		return nil, errors.New("loggen: short csvlog row")
	}
	t, err := time.Parse(msLayout, string(f[0]))
	if err != nil {
		return nil, fmt.Errorf("loggen: %w", err)
	}
	pid, _ := strconv.Atoi(string(f[3]))
	pid = shiftPid(pid, rep)
	var start time.Time
	if len(f[8]) > 0 {
		if start, err = time.Parse(secLayout, string(f[8])); err != nil {
			return nil, fmt.Errorf("loggen: %w", err)
		}
		start = start.Add(shift)
	}
	out = t.Add(shift).UTC().AppendFormat(out, msLayout)
	out = append(append(append(out, ','), f[1]...), ',')
	out = append(append(out, f[2]...), ',')
	out = append(strconv.AppendInt(out, int64(pid), 10), ',')
	out = append(append(out, f[4]...), ',')
	if len(f[5]) > 0 && !start.IsZero() {
		out = sessionID(out, start, pid)
	} else {
		out = append(out, f[5]...)
	}
	out = append(append(append(out, ','), f[6]...), ',')
	out = append(append(out, f[7]...), ',')
	if !start.IsZero() {
		out = start.UTC().AppendFormat(out, secLayout)
	}
	return append(append(out, ','), f[9]...), nil
}

// sessionID appends PostgreSQL's session id: the backend start time and
// pid in hex.
func sessionID(out []byte, start time.Time, pid int) []byte {
	out = strconv.AppendInt(out, start.Unix(), 16)
	return strconv.AppendInt(append(out, '.'), int64(pid), 16)
}

// shiftStderr appends to out the stderr record r ('%m [%p] ' lines) moved
// by shift with its pid rewritten for repetition rep.
func shiftStderr(out, r []byte, shift time.Duration, rep int) ([]byte, error) {
	t, err := recordTime(r)
	if err != nil {
		return nil, err
	}
	rest := r[len(msLayout):]
	if !bytes.HasPrefix(rest, []byte(" [")) {
		return nil, errors.New("loggen: stderr line without [pid]")
	}
	end := bytes.IndexByte(rest, ']')
	pid, err := strconv.Atoi(string(rest[2:end]))
	if err != nil {
		return nil, fmt.Errorf("loggen: pid: %w", err)
	}
	out = t.Add(shift).UTC().AppendFormat(out, msLayout)
	out = strconv.AppendInt(append(out, " ["...), int64(shiftPid(pid, rep)), 10)
	return append(out, rest[end:]...), nil
}
