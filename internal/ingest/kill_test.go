package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/ingest/loggen"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

// The environment of a child ingest (see TestMain): the store, the log,
// and the chunk size.
const (
	childStore = "WARD_TEST_INGEST_STORE"
	childLog   = "WARD_TEST_INGEST_LOG"
	childChunk = "WARD_TEST_INGEST_CHUNK"
)

func TestMain(m *testing.M) {
	if db := os.Getenv(childStore); db != "" {
		os.Exit(childIngest(db, os.Getenv(childLog)))
	}
	os.Exit(m.Run())
}

// childIngest is the test binary run as a child process: it ingests the
// log into the store, printing a line after each committed segment.
func childIngest(db, log string) int {
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer st.Close()
	chunk, _ := strconv.Atoi(os.Getenv(childChunk))
	out := bufio.NewWriter(os.Stdout)
	_, err = Run(ctx, st, Options{Source: config.Source{Name: "ehr"}, Paths: []string{log},
		ChunkBytes: chunk, Settle: time.Nanosecond, Progress: func(s Stats) {
			fmt.Fprintf(out, "committed %d\n", s.Events)
			out.Flush()
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	return 0
}

// generate writes a log of format and size from the corpus.
func generate(t testing.TB, format string, size int64) string {
	t.Helper()
	dir := corpusDir(t)
	path := filepath.Join(t.TempDir(), "postgresql."+map[string]string{
		loggen.CSV: "csv", loggen.Stderr: "log"}[format])
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loggen.Generate(f, dir, format, size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKill9 kills an ingest with SIGKILL in the middle, several times,
// runs it again to the end, and counts: the store then holds exactly the
// events and exposures of one clean run, each once.
func TestKill9(t *testing.T) {
	for _, format := range []string{loggen.CSV, loggen.Stderr} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			log := generate(t, format, 3<<20)
			const chunk = 64 << 10

			clean := openStore(t, filepath.Join(t.TempDir(), "clean.db"))
			want, err := Run(context.Background(), clean, Options{Source: config.Source{Name: "ehr"},
				Paths: []string{log}, ChunkBytes: chunk, Settle: time.Nanosecond})
			if err != nil || want.Events < 5_000 {
				t.Fatalf("clean run: %d events, %v", want.Events, err)
			}

			db := filepath.Join(t.TempDir(), "killed.db")
			var counts []int64
			for _, after := range []int{3, 5, 4} {
				counts = append(counts, killChild(t, db, log, chunk, after))
			}
			finish := runChild(t, db, log, chunk)
			if err := finish.Run(); err != nil {
				t.Fatalf("final run: %v", err)
			}
			for i, c := range counts {
				if c <= 0 || c >= want.Events || i > 0 && c <= counts[i-1] {
					t.Fatalf("after the kills the store held %v events of %d: "+
						"each kill must land mid-way and later than the one before", counts, want.Events)
				}
			}

			killed := openStore(t, db)
			got := storedEvents(t, killed, "ehr")
			wantEvs := storedEvents(t, clean, "ehr")
			if int64(len(got)) != want.Events || len(wantEvs) != len(got) {
				t.Fatalf("after kills and restart %d events, a clean run %d", len(got), want.Events)
			}
			seen := map[int64]bool{}
			for _, e := range got {
				if seen[e.Pos.Offset] {
					t.Fatalf("two events from the record at offset %d", e.Pos.Offset)
				}
				seen[e.Pos.Offset] = true
			}
			var opts []cmp.Option
			if format == loggen.Stderr {
				// A stderr log with the default prefix has no %l: the
				// parser numbers a session's records from its connection
				// line, which a restarted ingest has not read (see
				// sessions). Every other field must be the same.
				opts = append(opts, cmpopts.IgnoreFields(inventory.Event{}, "SessionLine"))
			}
			if diff := cmp.Diff(wantEvs, got, opts...); diff != "" {
				t.Errorf("events differ from a clean run (-clean +killed):\n%s", diff)
			}
			if x, y := countExposures(t, clean), countExposures(t, killed); x != y || x == 0 {
				t.Errorf("exposures: clean %d, killed %d", x, y)
			}
		})
	}
}

func runChild(t *testing.T, db, log string, chunk int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childStore+"="+db, childLog+"="+log,
		childChunk+"="+strconv.Itoa(chunk))
	cmd.Stderr = os.Stderr
	return cmd
}

// killChild starts an ingest, kills it with SIGKILL once it has
// committed after segments more, and returns the events then stored.
func killChild(t *testing.T, db, log string, chunk, after int) int64 {
	t.Helper()
	cmd := runChild(t, db, log, chunk)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for i := 0; i < after && sc.Scan(); i++ {
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if cmd.ProcessState.Success() {
		t.Fatal("the child ingest ended before it was killed")
	}

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Window(context.Background(), "ehr")
	if err != nil {
		t.Fatal(err)
	}
	return w.Events
}

func countExposures(t *testing.T, st *store.Store) int {
	t.Helper()
	n := 0
	err := st.Exposures(context.Background(), "ehr", func(x inventory.Exposure) error {
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
