// Command ingestbench measures `ward ingest` on a large PostgreSQL log: it
// generates a csvlog of -size bytes from the corpus logs (package
// internal/ingest/loggen; free disk checked first), then
//
//  1. parses it in this process with the parser alone, and reports the
//     events per second: the ceiling of an ingest;
//  2. runs the ward binary given by -ward, `ward ingest`, as a child
//     process under /usr/bin/time -v, into a new store, and reports its
//     wall time, events per second and peak resident memory;
//  3. runs it a second time on the same store, which must add nothing.
//
// Usage, from the repository root (make bench-ingest does this):
//
//	go build -o bin/ward ./cmd/ward
//	go run ./tools/ingestbench -ward bin/ward -size 1GiB
//
// The log and the store are written under -dir (default: a new temporary
// directory, removed at the end).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wardsec/ward/internal/ingest/loggen"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pglog"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
}

func run() error {
	ward := flag.String("ward", "bin/ward", "the ward binary to measure")
	sizeFlag := flag.String("size", "1GiB", "size of the generated log (bytes, or with KiB, MiB, GiB)")
	format := flag.String("format", loggen.CSV, "log format: csvlog or stderr")
	dirFlag := flag.String("dir", "",
		"where to write the log and the store (default: a temporary directory)")
	flag.Parse()

	size, err := parseSize(*sizeFlag)
	if err != nil {
		return err
	}
	corpus := os.Getenv("WARD_CORPUS")
	if corpus == "" {
		return errors.New("WARD_CORPUS is not set: point it at the shared corpus (make sets it)")
	}
	wardBin, err := filepath.Abs(*ward)
	if err != nil {
		return err
	}
	dir := *dirFlag
	if dir == "" {
		if dir, err = os.MkdirTemp("", "ingestbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	// The log, and a store that takes about as much again.
	if free := freeBytes(dir); free < 3*size {
		return fmt.Errorf("%s has %d MiB free; the benchmark needs about %d MiB", dir,
			free>>20, 3*size>>20)
	}

	log := filepath.Join(dir, "postgresql.log")
	if *format == loggen.CSV {
		log = filepath.Join(dir, "postgresql.csv")
	}
	start := time.Now()
	records, err := generate(log, filepath.Join(corpus, "pg-logs"), *format, size)
	if err != nil {
		return err
	}
	fi, err := os.Stat(log)
	if err != nil {
		return err
	}
	fmt.Printf("log: %s, %d MiB, %d records (%s %s to generate)\n", log, fi.Size()>>20, records,
		*format, time.Since(start).Round(time.Millisecond))

	parsed, took, err := parseOnly(log)
	if err != nil {
		return err
	}
	fmt.Printf("parse alone (in process, one core): %d events in %s: %.0f events/s, %.0f MB/s\n",
		parsed, took.Round(time.Millisecond), float64(parsed)/took.Seconds(),
		float64(fi.Size())/took.Seconds()/1e6)

	cfg := filepath.Join(dir, "ward.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("store: %q\nsources:\n  - name: bench\n"+
		"    type: postgres\n    dsn: postgres://ward@127.0.0.1:1/bench\n    logs: [%q]\n",
		filepath.Join(dir, "ward.db"), log)), 0o600); err != nil {
		return err
	}
	for i, want := range []string{"ingest", "ingest again (must add nothing)"} {
		m, err := timeIngest(wardBin, cfg)
		if err != nil {
			return err
		}
		fmt.Printf("ward %s: %d events in %s: %.0f events/s, peak RSS %d MiB\n", want, m.events,
			m.wall.Round(time.Millisecond), float64(m.events)/m.wall.Seconds(), m.rssKB>>10)
		if i == 1 && m.events != 0 {
			return fmt.Errorf("the second ingest stored %d events", m.events)
		}
	}
	db, _ := os.Stat(filepath.Join(dir, "ward.db"))
	if db != nil {
		fmt.Printf("store: %d MiB (%d bytes per event)\n", db.Size()>>20, db.Size()/max(parsed, 1))
	}
	return nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = v, m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("-size %q: want a positive size such as 1GiB", s)
	}
	return n * mult, nil
}

func freeBytes(dir string) int64 {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return 0
	}
	return int64(fs.Bavail) * int64(fs.Bsize)
}

func generate(path, corpus, format string, size int64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := loggen.Generate(f, corpus, format, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// parseOnly parses the log with the parser alone.
func parseOnly(path string) (int64, time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	p, err := pglog.New(pglog.Options{Source: "bench"})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	st, err := p.Parse(context.Background(), bufio.NewReaderSize(f, 1<<20), path,
		pglog.Sink{Event: func(inventory.Event) error { return nil }})
	return st.Events, time.Since(start), err
}

// measure is what one `ward ingest` did and cost.
type measure struct {
	events int64
	wall   time.Duration
	rssKB  int64
}

// timeIngest runs `ward ingest --format json` under /usr/bin/time -v.
func timeIngest(ward, cfg string) (measure, error) {
	var m measure
	cmd := exec.Command("/usr/bin/time", "-v", ward, "ingest", "-c", cfg, "--format", "json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return m, fmt.Errorf("ward ingest: %w\n%s", err, errb.String())
	}
	var stats []struct{ Events int64 }
	if err := json.Unmarshal(out.Bytes(), &stats); err != nil || len(stats) != 1 {
		return m, fmt.Errorf("ward ingest output: %v\n%s", err, out.String())
	}
	m.events = stats[0].Events
	for _, line := range strings.Split(errb.String(), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "Maximum resident set size (kbytes): "); ok {
			m.rssKB, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "Elapsed (wall clock) time (h:mm:ss or m:ss): "); ok {
			m.wall = parseClock(v)
		}
	}
	return m, nil
}

// parseClock reads GNU time's h:mm:ss or m:ss.ss.
func parseClock(v string) time.Duration {
	var d time.Duration
	for _, part := range strings.Split(v, ":") {
		f, _ := strconv.ParseFloat(part, 64)
		d = d*60 + time.Duration(f*float64(time.Second))
	}
	return d
}
