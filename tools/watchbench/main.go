// Command watchbench measures the latency of `ward watch`: the time from a
// log line written to a csvlog file to the alert it raises.
//
// A generator appends csvlog lines (as PostgreSQL 15 with pgaudit writes
// them) to a file in a temporary directory at -rate lines a second for
// -duration. Most lines are the ordinary traffic of an application's
// service account; every -marker-every-th line is a psql session of
// another service account, each marker with its own account
// ("bench_svc_bq"…), so that each raises its own interactive_use alert
// rather than a repeat folded into a summary. The time each marker
// line was written is kept; when its alert comes out, the difference is
// one latency sample. At the end the p50, p90, p99 and maximum are
// printed, with the lines written and the events the watcher read.
//
// By default the watcher runs in this process, through watch.Run as the
// command wires it, with its alerts encoded as JSON lines. With -ward
// BIN, the ward binary runs `ward watch` as a child process on a
// generated ward.yaml, and the alerts are read from its stdout.
//
// Usage, from the repository root (make bench-watch does this):
//
//	go run ./tools/watchbench -rate 5000 -duration 10s
//	go build -o bin/ward ./cmd/ward && go run ./tools/watchbench -ward bin/ward
//
// Everything stays in a temporary directory that is removed at the end.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wardsec/ward/internal/watch"
	"github.com/wardsec/ward/internal/watch/alert"
	"github.com/wardsec/ward/internal/watch/watchtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "watchbench:", err)
		os.Exit(1)
	}
}

type options struct {
	rate        int
	duration    time.Duration
	markerEvery int
	ward        string
	poll        time.Duration
}

func run() error {
	var o options
	flag.IntVar(&o.rate, "rate", 5000, "log lines written per second")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long to write")
	flag.IntVar(&o.markerEvery, "marker-every", 50,
		"every n-th line is a session that raises an alert")
	flag.StringVar(&o.ward, "ward", "", "run this ward binary as `ward watch` instead of "+
		"the watcher in this process")
	flag.DurationVar(&o.poll, "poll", 0, "in-process: how often the logs are looked at "+
		"(0: watch's default)")
	flag.Parse()
	if o.rate <= 0 || o.markerEvery <= 0 || o.duration <= 0 {
		return errors.New("-rate, -marker-every and -duration must be positive")
	}

	dir, err := os.MkdirTemp("", "watchbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logDir := filepath.Join(dir, "log")
	if err := os.Mkdir(logDir, 0o700); err != nil {
		return err
	}
	logFile := filepath.Join(logDir, "postgresql-2026-03-02_000000.csv")
	// One line before the watcher starts, so the file exists; it is
	// skipped as history.
	if err := os.WriteFile(logFile, []byte(trafficLine(time.Now(), 0)), 0o600); err != nil {
		return err
	}

	lat := newLatencies()
	var w watcher
	if o.ward != "" {
		w, err = startChild(o.ward, dir, logDir, lat)
	} else {
		w, err = startInProcess(dir, logDir, o.poll, lat)
	}
	if err != nil {
		return err
	}
	if err := w.ready(); err != nil {
		w.stop()
		return err
	}

	written, err := generate(logFile, o, lat)
	if err != nil {
		w.stop()
		return err
	}
	lat.waitAll(10 * time.Second)
	events, err := w.stop()
	if err != nil {
		return err
	}
	report(o, written, events, w.cpu(), lat)
	return nil
}

// trafficLine is an ordinary pgaudit record of the application.
func trafficLine(t time.Time, i int) string {
	return watchtest.Audit(t, "ehr_api_svc", "ehr", "ehr-api/2.3.1", "10.0.0.10", 4000+i%8,
		"READ", "SELECT", "TABLE", "public.lookup_codes",
		"SELECT code, label FROM public.lookup_codes WHERE code = $1").CSV()
}

// markerName makes a service account name unique to marker n.
func markerName(n int) string {
	var b []byte
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			break
		}
	}
	return "bench_svc_" + string(b)
}

// markerLine is a session of a service account from an interactive tool.
func markerLine(t time.Time, n int) string {
	return watchtest.Connect(t, markerName(n), "ehr", "psql", "10.0.0.20", 100000+n).CSV()
}

// generate appends lines at o.rate for o.duration, recording when each
// marker line was written. It writes what is due every millisecond or so.
func generate(path string, o options, lat *latencies) (int, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	end := start.Add(o.duration)
	written, markers := 0, 0
	var buf strings.Builder
	for now := start; now.Before(end); now = time.Now() {
		due := int(now.Sub(start).Seconds() * float64(o.rate))
		if due <= written {
			time.Sleep(500 * time.Microsecond)
			continue
		}
		buf.Reset()
		var pending []string
		for ; written < due; written++ {
			if written%o.markerEvery == o.markerEvery-1 {
				name := markerName(markers)
				markers++
				buf.WriteString(markerLine(now, markers-1))
				pending = append(pending, name)
				continue
			}
			buf.WriteString(trafficLine(now, written))
		}
		if _, err := f.WriteString(buf.String()); err != nil {
			return written, err
		}
		at := time.Now()
		for _, name := range pending {
			lat.written(name, at)
		}
	}
	return written, nil
}

// latencies pairs marker writes with their alerts.
type latencies struct {
	mu      sync.Mutex
	wrote   map[string]time.Time
	alerted map[string]time.Time
	samples []time.Duration
	extra   int
}

func newLatencies() *latencies {
	return &latencies{wrote: map[string]time.Time{}, alerted: map[string]time.Time{}}
}

func (l *latencies) written(name string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.alerted[name]; ok { // the alert beat the bookkeeping
		l.samples = append(l.samples, max(a.Sub(at), 0))
		delete(l.alerted, name)
		return
	}
	l.wrote[name] = at
}

func (l *latencies) alert(a alert.Alert, at time.Time) {
	if a.Detector != watch.DetectInteractive || !strings.HasPrefix(a.User, "bench_svc_") {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.wrote[a.User]
	if !ok {
		l.alerted[a.User] = at
		return
	}
	delete(l.wrote, a.User)
	l.samples = append(l.samples, at.Sub(w))
}

// waitAll waits until every marker written has its alert, or timeout.
func (l *latencies) waitAll(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		n := len(l.wrote)
		l.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func report(o options, written int, events int64, cpu time.Duration, l *latencies) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := slices.Clone(l.samples)
	slices.Sort(s)
	pct := func(p float64) time.Duration {
		if len(s) == 0 {
			return 0
		}
		return s[min(len(s)-1, int(p*float64(len(s))))]
	}
	mode := "in-process watch.Run"
	if o.ward != "" {
		mode = "child process " + o.ward + " watch"
	}
	fmt.Printf("watchbench: %s, %d lines/s for %s, 1 marker in %d lines, %d CPUs\n",
		mode, o.rate, o.duration, o.markerEvery, runtime.NumCPU())
	fmt.Printf("  lines written      %d (%.0f/s)\n", written,
		float64(written)/o.duration.Seconds())
	if events >= 0 {
		fmt.Printf("  events read        %d\n", events)
	}
	if cpu > 0 {
		fmt.Printf("  watcher CPU        %v (%.0f%% of one core over the run)\n",
			cpu.Round(time.Millisecond), 100*cpu.Seconds()/o.duration.Seconds())
	}
	fmt.Printf("  alerts measured    %d, missing %d\n", len(s), len(l.wrote))
	fmt.Printf("  latency p50 %v  p90 %v  p99 %v  max %v\n", round(pct(0.50)),
		round(pct(0.90)), round(pct(0.99)), round(pct(1)))
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }

// watcher is the watch under test.
type watcher interface {
	ready() error
	// stop ends the watch and returns the events it read (-1 when
	// unknown).
	stop() (int64, error)
	// cpu returns the processor time the watcher used, 0 when unknown.
	cpu() time.Duration
}

// inProcess runs watch.Run as the command wires it.
type inProcess struct {
	cancel  context.CancelFunc
	done    chan error
	started chan struct{}
	sum     watch.Summary
}

// timedSink encodes alerts as JSON lines, as stdout would, and stamps
// them for the latency.
type timedSink struct {
	enc *alert.JSONLines
	lat *latencies
}

func (s timedSink) Send(a alert.Alert) {
	s.enc.Send(a)
	s.lat.alert(a, time.Now())
}

func (s timedSink) Close(context.Context) error { return nil }

func startInProcess(dir, logDir string, poll time.Duration, lat *latencies) (watcher, error) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &inProcess{cancel: cancel, done: make(chan error, 1), started: make(chan struct{})}
	go func() {
		sum, err := watch.Run(ctx, watch.RunOptions{
			Sources:   []watch.LogSource{{Name: "ehr", Paths: []string{logDir}}},
			StatePath: watch.StatePath(filepath.Join(dir, "ward.db")),
			Poll:      poll,
			Engine: watch.EngineOptions{Kind: watch.NewKinds(nil, nil).Kind,
				Sink: timedSink{enc: alert.NewJSONLines(io.Discard), lat: lat}},
			Following: func(string, watch.FollowStart) { close(w.started) },
		})
		w.sum = sum
		w.done <- err
	}()
	return w, nil
}

func (w *inProcess) ready() error {
	select {
	case <-w.started:
		return nil
	case err := <-w.done:
		return fmt.Errorf("watch ended before following: %v", err)
	case <-time.After(30 * time.Second):
		return errors.New("watch did not start following within 30 s")
	}
}

// cpu is unknown in process: the generator shares it.
func (w *inProcess) cpu() time.Duration { return 0 }

func (w *inProcess) stop() (int64, error) {
	w.cancel()
	err := <-w.done
	return w.sum.Sources["ehr"].Events, err
}

// child runs `ward watch` as a child process.
type child struct {
	cmd     *exec.Cmd
	started chan struct{}
	done    chan error
}

func startChild(ward, dir, logDir string, lat *latencies) (watcher, error) {
	config := filepath.Join(dir, "ward.yaml")
	yaml := fmt.Sprintf(`store: %s
sources:
  - name: ehr
    type: postgres
    dsn: postgres://scanner@127.0.0.1:5432/ehr
    logs: [%s]
alerts:
  stdout: true
`, filepath.Join(dir, "ward.db"), logDir)
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(ward, "watch", "-c", config)
	cmd.Env = append(os.Environ(), "WARD_CONFIG=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, started: make(chan struct{}), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			at := time.Now()
			var a alert.Alert
			if json.Unmarshal(sc.Bytes(), &a) == nil {
				lat.alert(a, at)
			}
		}
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "following,") {
				once.Do(func() { close(c.started) })
			}
			if strings.HasPrefix(line, "ward:") || strings.Contains(line, "level=") {
				fmt.Fprintln(os.Stderr, "ward watch:", line)
			}
		}
		c.done <- cmd.Wait()
	}()
	return c, nil
}

func (c *child) ready() error {
	select {
	case <-c.started:
		return nil
	case err := <-c.done:
		return fmt.Errorf("ward watch ended before following: %v", err)
	case <-time.After(30 * time.Second):
		return errors.New("ward watch did not start following within 30 s")
	}
}

func (c *child) cpu() time.Duration {
	if c.cmd.ProcessState == nil {
		return 0
	}
	return c.cmd.ProcessState.UserTime() + c.cmd.ProcessState.SystemTime()
}

func (c *child) stop() (int64, error) {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return -1, err
	}
	select {
	case err := <-c.done:
		return -1, err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		return -1, errors.New("ward watch did not stop on SIGTERM")
	}
}
