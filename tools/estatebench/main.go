// Command estatebench measures `ward scan` on the benchmark estate: it
// starts a throwaway PostgreSQL server (internal/pgtest), builds the
// estate of internal/pgsource/estategen at -scale, then
//
//  1. runs the ward binary given by -ward as a child process under
//     /usr/bin/time -v, -runs times, and reports each run's wall time and
//     peak resident memory (the numbers the scale target is about);
//  2. runs the same pipeline once in this process, phase by phase
//     (connector, PHI marking, classification, rules, store, text
//     report), and reports each phase's time and the live heap after it,
//     to show where the time and memory go.
//
// Usage, from the repository root (make bench-estate does this):
//
//	go build -o bin/ward ./cmd/ward
//	go run ./tools/estatebench -ward bin/ward -scale 1
//
// The server listens on 127.0.0.1 only and is removed at the end.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/classify"
	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/pgsource"
	"github.com/wardsec/ward/internal/pgsource/estategen"
	"github.com/wardsec/ward/internal/pgtest"
	"github.com/wardsec/ward/internal/phi"
	"github.com/wardsec/ward/internal/report"
	"github.com/wardsec/ward/internal/rules"
	"github.com/wardsec/ward/internal/store"
)

// passwordEnv carries the scanner's FAKE password to the ward child.
const passwordEnv = "WARD_BENCH_SCANNER_PASSWORD"

const scannerPassword = "FAKE-bench-scanner-pw"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "estatebench:", err)
		os.Exit(1)
	}
}

type options struct {
	scale    float64
	ward     string
	runs     int
	workers  int
	noPhases bool
}

func run() error {
	var opt options
	flag.Float64Var(&opt.scale, "scale", 1, "estate scale (1 = 2,000 roles, 20,000 tables)")
	flag.StringVar(&opt.ward, "ward", "bin/ward", "the ward binary to measure")
	flag.IntVar(&opt.runs, "runs", 3, "how many times to run ward scan")
	flag.IntVar(&opt.workers, "workers", 0, "databases filled at once (0: all four)")
	flag.BoolVar(&opt.noPhases, "no-phases", false, "skip the in-process phase breakdown")
	flag.Parse()

	ward, err := filepath.Abs(opt.ward)
	if err != nil {
		return err
	}
	if _, err := os.Stat(ward); err != nil {
		return fmt.Errorf("ward binary: %w (build it with go build -o bin/ward ./cmd/ward)", err)
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		return errors.New("/usr/bin/time is missing (Debian package time)")
	}

	ctx := context.Background()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	srv, err := pgtest.Start(startCtx, pgtest.Options{})
	cancel()
	if err != nil {
		return err
	}
	defer srv.Stop()

	fmt.Printf("server: PostgreSQL %d on 127.0.0.1:%d, %d CPUs\n", srv.Version, srv.Port,
		runtime.NumCPU())
	res, err := estategen.Generate(ctx, estategen.Config{
		Scale: opt.scale, Seed: 1, DSN: srv.SuperDSN, DataDir: srv.Dir, Workers: opt.workers,
		Progress: func(msg string) { fmt.Fprintln(os.Stderr, "estate:", msg) },
	})
	if err != nil {
		return err
	}
	if err := estategen.CreateScanner(ctx, srv.SuperDSN("postgres"), "ward_scanner",
		scannerPassword); err != nil {
		return err
	}
	printEstate(res, dirSize(srv.Dir))

	dir, err := os.MkdirTemp("", "ward-estatebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "ward.yaml")
	if err := writeConfig(cfgPath, srv.DSN("ward_scanner", "", "postgres")); err != nil {
		return err
	}
	os.Setenv(passwordEnv, scannerPassword)

	for i := range opt.runs {
		m, err := timeWard(ctx, ward, cfgPath)
		if err != nil {
			return err
		}
		fmt.Printf("ward scan run %d: wall %s, max RSS %d MB, exit %d\n", i+1,
			m.wall.Round(10*time.Millisecond), m.maxRSSKB/1024, m.exit)
	}
	if opt.noPhases {
		return nil
	}
	return phases(ctx, cfgPath)
}

func printEstate(res *estategen.Result, bytes int64) {
	s, st := res.Shape, res.Stats
	fmt.Printf("estate (scale %s): %d roles (%d logins, %d groups in 3 tiers), "+
		"%d memberships; %d databases, %d schemas, %d tables, %d columns; "+
		"%d ACL entries (%d on columns), %d tables granted to PUBLIC, %d functions, "+
		"%d RLS tables; built in %s; data directory %d MB\n",
		strconv.FormatFloat(float64(s.Tables)/20000, 'g', 3, 64), s.Roles(), s.Logins,
		s.Roles()-s.Logins, st.Memberships, len(estategen.Databases), s.Schemas, s.Tables,
		s.Tables*s.Columns, st.ACLEntries, st.ColumnEntries, st.PublicTables, st.Functions,
		st.RLSTables, res.Elapsed.Round(time.Second), bytes>>20)
}

// writeConfig writes the ward.yaml of the benchmark.
func writeConfig(path, dsn string) error {
	yaml := "store: ward.db\n" +
		"sources:\n" +
		"  - name: estate\n" +
		"    type: postgres\n" +
		"    dsn: " + dsn + "\n" +
		"    password: ${env:" + passwordEnv + "}\n"
	return os.WriteFile(path, []byte(yaml), 0o600)
}

// measure is what /usr/bin/time -v says of one run.
type measure struct {
	wall     time.Duration
	maxRSSKB int64
	exit     int
}

// timeWard runs `ward scan` under /usr/bin/time -v. ward exits 2 when
// the scan is partial, which the benchmark treats as a failure.
func timeWard(ctx context.Context, ward, cfg string) (measure, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/time", "-v", ward, "scan", "-c", cfg)
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	err := cmd.Run()
	m := measure{}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		m.exit = exitErr.ExitCode()
	} else if err != nil {
		return m, fmt.Errorf("run ward: %w", err)
	}
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, "Maximum resident set size (kbytes): "); ok {
			m.maxRSSKB, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line,
			"Elapsed (wall clock) time (h:mm:ss or m:ss): "); ok {
			m.wall = parseClock(v)
		}
		if v, ok := strings.CutPrefix(line, "Exit status: "); ok {
			m.exit, _ = strconv.Atoi(v)
		}
	}
	if m.exit > 1 || m.maxRSSKB == 0 {
		return m, fmt.Errorf("ward scan failed (exit %d):\n%s", m.exit, stderr.String())
	}
	return m, nil
}

// parseClock reads "m:ss.cc" or "h:mm:ss".
func parseClock(v string) time.Duration {
	var d time.Duration
	for _, part := range strings.Split(v, ":") {
		f, _ := strconv.ParseFloat(part, 64)
		d = d*60 + time.Duration(f*float64(time.Second))
	}
	return d
}

// phases runs the scan pipeline in this process, one phase at a time,
// as internal/scan and internal/cli do.
func phases(ctx context.Context, cfgPath string) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	src := cfg.Sources[0]
	var snap *inventory.Snapshot
	var findings []inventory.Finding
	res := &inventory.ScanResult{ID: "bench", StartedAt: time.Now().UTC()}
	matcher, err := phi.NewMatcher(cfg.PHI)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()

	steps := []struct {
		name string
		fn   func() error
	}{
		{"connector", func() error {
			c, err := pgsource.New(src, slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			snap, err = c.Scan(ctx)
			return err
		}},
		{"phi", func() error { matcher.Mark(snap); return nil }},
		{"classify", func() error { classify.Classify(snap, cfg.Owners); return nil }},
		{"rules", func() error {
			findings = rules.Evaluate(rules.Input{Snapshot: snap, Owners: cfg.Owners,
				Policy: cfg.Policy})
			return nil
		}},
		{"store", func() error {
			res.FinishedAt = time.Now().UTC()
			res.Sources = []inventory.SourceResult{{Name: src.Name, Type: src.Type,
				Status: inventory.StatusComplete, Snapshot: snap}}
			res.Accounts = snap.Accounts
			res.Findings = findings
			return st.SaveScan(ctx, res)
		}},
		{"report", func() error { return report.WriteText(io.Discard, res, report.TextOptions{}) }},
	}
	fmt.Println("phases (in-process, one run; peak RSS is the process's high-water " +
		"mark during the phase):")
	for _, s := range steps {
		resetPeakRSS()
		t0 := time.Now()
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		took := time.Since(t0)
		peak := peakRSSKB()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Printf("  %-9s %8s   peak RSS %4d MB   live heap after %4d MB\n", s.name,
			took.Round(time.Millisecond), peak>>10, ms.HeapAlloc>>20)
	}
	grants := 0
	for _, a := range snap.Accounts {
		grants += len(a.Grants)
	}
	fmt.Printf("snapshot: %d accounts, %d account grants, %d PUBLIC grants, %d resources, "+
		"%d functions, %d findings\n", len(snap.Accounts), grants, len(snap.PublicGrants),
		len(snap.Resources), len(snap.Functions), len(findings))
	return nil
}

// dirSize adds up the sizes of the files under dir (those it can read).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident memory (Linux: "5" in /proc/self/clear_refs).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSKB reads VmHWM, the peak resident memory since the last reset.
func peakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(
				strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
