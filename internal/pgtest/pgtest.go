// Package pgtest starts throwaway PostgreSQL servers for ward's tests: a
// fresh cluster in a temporary directory, pgaudit preloaded, listening on
// 127.0.0.1 at a free port and nowhere else. When the tests run as root
// the server runs as an unprivileged OS user, because PostgreSQL refuses to
// run as root.
//
// Use one server per test package:
//
//	var srv *pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &srv)) }
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// SuperUser is the bootstrap superuser of every test cluster.
const SuperUser = "postgres"

// Options change how a server is set up.
type Options struct {
	// HBA lines are placed above the line that lets every role log in
	// from 127.0.0.1 with SCRAM. Use documentation addresses (192.0.2.0/24)
	// for lines that must never match a real client.
	HBA []string
	// Settings are extra postgresql.conf lines.
	Settings []string
	// NoPgaudit leaves pgaudit out of shared_preload_libraries.
	NoPgaudit bool
}

// Server is a running test cluster.
type Server struct {
	Host string
	Port int
	// Dir is the cluster's data directory; logs are under Dir/log.
	Dir string
	// BinDir holds the PostgreSQL programs used.
	BinDir string
	// Version is the major version, such as 15.
	Version int

	password string
	root     string
	cmd      *exec.Cmd
	cred     *syscall.Credential
	exited   chan error
}

// Main starts one server for a test package, stores it in *srv, runs the
// tests and stops the server. A server that cannot start fails the whole
// package with a message that says what to install.
func Main(m *testing.M, srv **Server) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := Start(ctx, Options{})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 1
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
	}
	return code
}

// Start creates and starts a new cluster.
func Start(ctx context.Context, opt Options) (*Server, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", BinDir: bin}
	s.Version, err = majorVersion(bin)
	if err != nil {
		return nil, err
	}
	if s.password, err = fakePassword(); err != nil {
		return nil, err
	}
	if s.cred, err = serverCredential(); err != nil {
		return nil, err
	}
	if err := s.initCluster(ctx, opt); err != nil {
		s.removeDir()
		return nil, err
	}
	for try := 0; ; try++ {
		err = s.startOnce(ctx)
		if err == nil {
			return s, nil
		}
		if try == 2 || ctx.Err() != nil {
			s.removeDir()
			return nil, err
		}
	}
}

// findBinDir locates the PostgreSQL server programs: $WARD_PG_BIN, then the
// newest /usr/lib/postgresql/N/bin, then initdb on the PATH.
func findBinDir() (string, error) {
	if d := os.Getenv("WARD_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		return versionOf(dirs[i]) > versionOf(dirs[j])
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server programs found: run `make test` " +
		"(it installs postgresql and postgresql-15-pgaudit) or set WARD_PG_BIN")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func majorVersion(bin string) (int, error) {
	out, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("run postgres --version in %s: %w", bin, err)
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		return 0, fmt.Errorf("unexpected postgres --version output %q", out)
	}
	major, _, _ := strings.Cut(fields[2], ".")
	return strconv.Atoi(major)
}

// fakePassword makes the superuser password of a throwaway cluster; it is
// marked FAKE so that no scanner mistakes it for a real credential.
func fakePassword() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "FAKE-pgtest-" + hex.EncodeToString(b), nil
}

// serverCredential picks the OS user the server runs as: the current
// user, or, for root, the "postgres" user that Debian's packages create
// (else "nobody").
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres or nobody) " +
		"to run the test server as")
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.BinDir, name), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func (s *Server) chown(path string) error {
	if s.cred == nil {
		return nil
	}
	return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
}

func (s *Server) initCluster(ctx context.Context, opt Options) error {
	root, err := os.MkdirTemp("", "ward-pgtest-")
	if err != nil {
		return err
	}
	s.root = root
	s.Dir = filepath.Join(root, "data")
	if err := s.chown(root); err != nil {
		return err
	}
	pwfile := filepath.Join(root, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return err
	}
	if err := s.chown(pwfile); err != nil {
		return err
	}

	cmd := s.command("initdb", "-D", s.Dir, "-U", SuperUser, "--pwfile", pwfile,
		"--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
	out, err := cmd.CombinedOutput()
	os.Remove(pwfile)
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}

	conf := []string{
		"listen_addresses = '127.0.0.1'",
		"unix_socket_directories = ''",
		"fsync = off",
		"logging_collector = on",
		"log_destination = 'csvlog'",
		"log_directory = 'log'",
		"log_connections = on",
		"log_disconnections = on",
		"password_encryption = 'scram-sha-256'",
	}
	if !opt.NoPgaudit {
		conf = append(conf, "shared_preload_libraries = 'pgaudit'",
			"pgaudit.log = 'read,write,role,ddl,misc_set'")
	}
	conf = append(conf, opt.Settings...)
	if err := appendLines(filepath.Join(s.Dir, "postgresql.conf"), conf); err != nil {
		return err
	}

	hba := append([]string{}, opt.HBA...)
	hba = append(hba, "host all all 127.0.0.1/32 scram-sha-256")
	return os.WriteFile(filepath.Join(s.Dir, "pg_hba.conf"),
		[]byte(strings.Join(hba, "\n")+"\n"), 0o600)
}

func appendLines(path string, lines []string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n# ward test settings\n" + strings.Join(lines, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) startOnce(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	s.cmd = s.command("postgres", "-D", s.Dir, "-p", strconv.Itoa(port))
	stderr := &strings.Builder{}
	s.cmd.Stdout, s.cmd.Stderr = stderr, stderr
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait() }()

	for {
		select {
		case err := <-s.exited:
			return fmt.Errorf("postgres exited during start-up: %v\n%s%s",
				err, stderr.String(), s.logTail())
		case <-ctx.Done():
			s.kill()
			return fmt.Errorf("postgres did not accept connections in time: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		conn, err := pgx.Connect(ctx, s.DSN(SuperUser, s.password, "postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
	}
}

// logTail returns the end of the newest server log, for start-up errors.
func (s *Server) logTail() string {
	files, _ := filepath.Glob(filepath.Join(s.Dir, "log", "*"))
	if len(files) == 0 {
		return ""
	}
	sort.Strings(files)
	b, _ := os.ReadFile(files[len(files)-1])
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (s *Server) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
}

// Stop shuts the server down and removes its directory.
func (s *Server) Stop() error {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	return s.removeDir()
}

func (s *Server) removeDir() error {
	if s.root == "" {
		return nil
	}
	return os.RemoveAll(s.root)
}

// Password returns the superuser's password (a FAKE test value).
func (s *Server) Password() string { return s.password }

// DSN builds a connection URL for user on database db. An empty password
// is left out.
func (s *Server) DSN(user, password, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		Host:     net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// SuperDSN is the superuser's connection URL for database db.
func (s *Server) SuperDSN(db string) string { return s.DSN(SuperUser, s.password, db) }

// Exec runs sql as the superuser on database db. The SQL may hold several
// statements.
func (s *Server) Exec(ctx context.Context, db, sql string) error {
	conn, err := pgx.Connect(ctx, s.SuperDSN(db))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", db, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("exec on %s: %w", db, err)
	}
	return nil
}

// MustExec is Exec for tests: it fails t on error.
func (s *Server) MustExec(t testing.TB, db, sql string) {
	t.Helper()
	if err := s.Exec(context.Background(), db, sql); err != nil {
		t.Fatal(err)
	}
}

// WriteHBA replaces pg_hba.conf with lines plus the SCRAM line for
// 127.0.0.1 that the tests themselves need, and reloads the server.
func (s *Server) WriteHBA(ctx context.Context, lines []string) error {
	all := append(append([]string{}, lines...), "host all all 127.0.0.1/32 scram-sha-256")
	path := filepath.Join(s.Dir, "pg_hba.conf")
	if err := os.WriteFile(path, []byte(strings.Join(all, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if err := s.chown(path); err != nil {
		return err
	}
	return s.Exec(ctx, "postgres", "SELECT pg_reload_conf()")
}
