package watche2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardsec/ward/internal/cli"
	"github.com/wardsec/ward/internal/pgtest"
	"github.com/wardsec/ward/internal/watch"
	"github.com/wardsec/ward/internal/watch/alert"
)

var srv *pgtest.Server

// childEnv makes the test binary run ward instead of the tests; the
// arguments come JSON-encoded in childArgs.
const (
	childEnv  = "WARD_WATCH_E2E_CHILD"
	childArgs = "WARD_WATCH_E2E_ARGS"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(pgtest.Main(m, &srv))
}

// runChild is the ward command, as cmd/ward runs it.
func runChild() int {
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(childArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "bad child arguments:", err)
		return 3
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Execute(ctx, cli.Env{Version: "e2e", Stdout: os.Stdout, Stderr: os.Stderr,
		Args: args})
}

// wardProc is a running `ward watch`.
type wardProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	alerts chan alert.Alert
	mu     sync.Mutex
	stderr strings.Builder
	lines  chan string
	done   chan error
}

func startWatch(t *testing.T, config string) *wardProc {
	t.Helper()
	args, _ := json.Marshal([]string{"watch", "-v", "-c", config})
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1", childArgs+"="+string(args))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &wardProc{t: t, cmd: cmd, alerts: make(chan alert.Alert, 100),
		lines: make(chan string, 100), done: make(chan error, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var a alert.Alert
			p.mu.Lock()
			p.stderr.WriteString("stdout: " + sc.Text() + "\n")
			p.mu.Unlock()
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				p.lines <- "bad stdout line: " + sc.Text()
				continue
			}
			p.alerts <- a
		}
	}()
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			p.lines <- sc.Text()
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	return p
}

// waitLine waits for a stderr line containing s.
func (p *wardProc) waitLine(s string) {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l := <-p.lines:
			if strings.Contains(l, s) {
				return
			}
		case <-deadline:
			p.t.Fatalf("no line with %q; stderr:\n%s", s, p.errText())
		}
	}
}

func (p *wardProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitAlert waits for the next alert of detector.
func (p *wardProc) waitAlert(detector string) alert.Alert {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case a := <-p.alerts:
			if a.Detector == detector {
				return a
			}
		case <-deadline:
			p.t.Fatalf("no %s alert; output:\n%s", detector, p.errText())
		}
	}
}

// stop sends SIGTERM and returns the exit code.
func (p *wardProc) stop() int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		p.t.Fatalf("ward watch did not stop on SIGTERM; stderr:\n%s", p.errText())
	}
	return -1
}

// session connects as user with an application_name, runs a query and
// disconnects. It returns the session ID the server logs (%c).
func session(t *testing.T, user, password, app string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN(user, password, "postgres")+"&application_name="+app)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var id string
	err = conn.QueryRow(ctx, `SELECT to_hex(floor(extract(epoch FROM backend_start))::bigint) ||
		'.' || to_hex(pid) FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitLogged waits until the server has logged the end of a session.
func waitLogged(t *testing.T, sessionID string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(srv.Dir, "log", "*.csv"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			for _, l := range strings.Split(string(data), "\n") {
				if strings.Contains(l, ","+sessionID+",") && strings.Contains(l, "disconnection") {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("session %s never logged its disconnection", sessionID)
}

func TestWatchInteractiveServiceAccount(t *testing.T) {
	const role, password = "watch_e2e_etl_svc", "FAKE-watch-e2e-pw"
	srv.MustExec(t, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", role, password))
	t.Cleanup(func() { srv.Exec(context.Background(), "postgres", "DROP ROLE "+role) })

	dir := t.TempDir()
	config := filepath.Join(dir, "ward.yaml")
	yaml := fmt.Sprintf(`store: ward.db
sources:
  - name: pg
    type: postgres
    dsn: postgres://scanner@127.0.0.1:%d/postgres
    logs: [%s]
alerts:
  stdout: true
`, srv.Port, filepath.Join(srv.Dir, "log"))
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	// A session before watch starts is history: not alerted on. Its last
	// line must be in the log before watch starts, or it is news.
	waitLogged(t, session(t, role, password, "psql"))
	p := startWatch(t, config)
	p.waitLine("source pg: following, from the end of its logs")
	want := session(t, role, password, "psql")
	first := p.waitAlert(watch.DetectInteractive)
	if first.SessionID != want || first.User != role || first.Kind != "service" ||
		first.Application != "psql" || first.ClientAddr != "127.0.0.1" ||
		first.Severity != "high" {
		t.Errorf("alert = %+v, want session %s", first, want)
	}
	if code := p.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; output:\n%s", code, p.errText())
	}
	st, err := watch.LoadState(watch.StatePath(filepath.Join(dir, "ward.db")))
	if err != nil || len(st.Checkpoints["pg"]) == 0 {
		t.Fatalf("no checkpoint saved: %+v, %v", st, err)
	}

	// Sessions while watch is down are read after the restart: one with
	// another tool is reported; one with psql again, inside the group
	// window saved with the state, is a repeat, counted and not sent.
	session(t, role, password, "psql")
	want = session(t, role, password, "pgAdmin")
	p2 := startWatch(t, config)
	p2.waitLine("source pg: following, continuing where the last run stopped")
	if second := p2.waitAlert(watch.DetectInteractive); second.SessionID != want ||
		second.Application != "pgAdmin" {
		t.Errorf("after restart: %+v, want session %s", second, want)
	}
	if code := p2.stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0; output:\n%s", code, p2.errText())
	}
	st, err = watch.LoadState(watch.StatePath(filepath.Join(dir, "ward.db")))
	if err != nil {
		t.Fatal(err)
	}
	repeats := -1
	for _, g := range st.Groups {
		if g.First.ID == first.ID {
			repeats = g.Count
		}
	}
	if repeats != 1 {
		t.Errorf("group of the first alert counts %d repeats (-1: not saved), want 1", repeats)
	}
	select {
	case a := <-p2.alerts:
		t.Errorf("unexpected alert %+v", a)
	default:
	}
}
