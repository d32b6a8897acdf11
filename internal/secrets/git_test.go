package secrets

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gitRepo is a throwaway repository in a temporary directory.
type gitRepo struct {
	t   *testing.T
	dir string
	// clock gives each commit its own, increasing time.
	clock int
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("GIT ABSENT: the git command is needed for history scans: %v", err)
	}
	r := &gitRepo{t: t, dir: t.TempDir(), clock: 1700000000}
	r.git("init", "-q", "-b", "main")
	return r
}

// cmd prepares a git command with a fixed identity and the repository's
// clock as the commit date.
func (r *gitRepo) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	date := "@" + strconv.Itoa(r.clock) + " +0000"
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date, "GIT_CONFIG_NOSYSTEM=1",
		"HOME="+r.dir)
	return cmd
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	out, err := r.cmd(args...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *gitRepo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// commit stages everything and commits; it returns the commit's hash.
func (r *gitRepo) commit(msg string) string {
	r.t.Helper()
	r.clock += 60
	r.git("add", "-A")
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// TestHistoryMergeResolution builds a history whose secret appears only
// in a merge commit, written while resolving a conflict: it must be
// found, credited to the merge. A secret from a branch is credited to
// the branch's commit, once, though the merge brings it to main too.
func TestHistoryMergeResolution(t *testing.T) {
	r := newGitRepo(t)
	r.write("app.env", "DB_HOST=db.internal\nDB_USER=svc_merge\nDB_PASSWORD=${DB_PASSWORD}\n")
	r.commit("base")

	r.git("checkout", "-q", "-b", "feature")
	r.write("app.env", "DB_HOST=db.internal\nDB_USER=svc_merge\nDB_PASSWORD=${FEATURE_PW}\n")
	r.write("branch.env", "API_URL=postgres://svc_branch:FAKE-branch-pass-1@db.internal/app\n")
	branchCommit := r.commit("feature")

	r.git("checkout", "-q", "main")
	r.write("app.env", "DB_HOST=db.internal\nDB_USER=svc_merge\nDB_PASSWORD=${MAIN_PW}\n")
	r.commit("main change")

	// The merge conflicts on app.env; the resolution writes a literal.
	r.clock += 60
	if out, err := r.cmd("merge", "-q", "feature").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "CONFLICT") {
		t.Fatalf("merge: want a conflict, got %v: %s", err, out)
	}
	r.write("app.env", "DB_HOST=db.internal\nDB_USER=svc_merge\nDB_PASSWORD=FAKE-merge-pass-2\n")
	mergeCommit := r.commit("merge feature")
	if parents := strings.Fields(r.git("log", "-1", "--format=%P")); len(parents) != 2 {
		t.Fatalf("HEAD has parents %v, want a merge", parents)
	}

	s := newTestScanner(t, Options{})
	res, err := s.ScanHistory(context.Background(), r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Commits != 4 {
		t.Errorf("scanned %d commits, want 4", res.Stats.Commits)
	}
	got := map[string]Secret{}
	for _, sc := range res.Secrets {
		got[sc.Value().Reveal()] = sc
	}
	if len(res.Secrets) != 2 {
		for _, sc := range res.Secrets {
			t.Logf("found %s:%d %s %q", sc.Path, sc.Line, sc.Commit, sc.Identity.String())
		}
		t.Fatalf("found %d secrets, want 2 (each once)", len(res.Secrets))
	}
	m, ok := got["FAKE-merge-pass-2"]
	if !ok {
		t.Fatal("the secret written while resolving the merge was not found")
	}
	if m.Commit != mergeCommit || m.Path != "app.env" || m.Line != 3 ||
		m.Identity.String() != "svc_merge@db.internal" {
		t.Errorf("merge secret at %s:%d commit %s for %q, want app.env:3 commit %s for svc_merge@db.internal",
			m.Path, m.Line, m.Commit, m.Identity.String(), mergeCommit)
	}
	b, ok := got["FAKE-branch-pass-1"]
	if !ok {
		t.Fatal("the branch's secret was not found")
	}
	if b.Commit != branchCommit {
		t.Errorf("branch secret credited to %s, want the branch commit %s", b.Commit, branchCommit)
	}

	// --since: only commits not reachable from the base of main.
	res, err = s.ScanHistory(context.Background(), r.dir, mergeCommit+"^1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Commits != 2 {
		t.Errorf("--since scanned %d commits, want 2 (the feature commit and the merge)",
			res.Stats.Commits)
	}
}

// TestHistoryOldestCommit checks that a secret added, removed and added
// again is reported once, at the first commit that added it.
func TestHistoryOldestCommit(t *testing.T) {
	r := newGitRepo(t)
	r.write("a/.env", "PGUSER=svc_old\nPGPASSWORD=FAKE-old-pass-3\n")
	first := r.commit("add")
	r.write("a/.env", "PGUSER=svc_old\n")
	r.commit("remove")
	r.write("a/.env", "# moved down\nPGUSER=svc_old\nPGPASSWORD=FAKE-old-pass-3\n")
	r.commit("add again")

	s := newTestScanner(t, Options{})
	res, err := s.ScanHistory(context.Background(), r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Secrets) != 1 {
		t.Fatalf("found %d secrets, want 1", len(res.Secrets))
	}
	if sc := res.Secrets[0]; sc.Commit != first || sc.Line != 2 {
		t.Errorf("reported at commit %s line %d, want the first commit %s line 2", sc.Commit, sc.Line, first)
	}
}

// TestHistoryCorruptObject corrupts the blob of one commit: that commit
// is skipped with a counted reason, the others are still scanned.
func TestHistoryCorruptObject(t *testing.T) {
	r := newGitRepo(t)
	r.write("ok1.env", "DB_USER=svc_a\nDB_PASSWORD=FAKE-ok-pass-4\n")
	r.commit("one")
	r.write("bad.env", "DB_USER=svc_b\nDB_PASSWORD=FAKE-bad-pass-5\n")
	r.commit("two")
	r.write("ok2.env", "DB_USER=svc_c\nDB_PASSWORD=FAKE-ok-pass-6\n")
	r.commit("three")

	blob := r.git("rev-parse", "HEAD~1:bad.env")
	obj := filepath.Join(r.dir, ".git", "objects", blob[:2], blob[2:])
	if err := os.Chmod(obj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("FAKE corrupt object"), 0o644); err != nil {
		t.Fatal(err)
	}

	s := newTestScanner(t, Options{Workers: 1})
	res, err := s.ScanHistory(context.Background(), r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, sc := range res.Secrets {
		vals = append(vals, sc.Value().Reveal())
	}
	if strings.Join(vals, ",") != "FAKE-ok-pass-4,FAKE-ok-pass-6" {
		t.Errorf("found %v, want the two secrets of the readable commits", vals)
	}
	if res.Stats.Skipped[SkipBadCommit] != 1 {
		t.Errorf("skipped %v, want one unreadable commit", res.Stats.Skipped)
	}
}
