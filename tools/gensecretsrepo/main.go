// Command gensecretsrepo builds a git repository for benchmarking ward's
// history scan: many commits of configuration and code, branches merged
// back, and FAKE secrets planted in some commits and in some merges. It
// writes one git fast-import stream, so 20,000 commits take seconds.
//
//	go run ./tools/gensecretsrepo -dir /tmp/ward-bench-repo -commits 20000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "directory of the new repository (must not exist)")
	commits := flag.Int("commits", 20000, "number of commits, merges included")
	seed := flag.Uint64("seed", 1, "random seed, for a reproducible repository")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "gensecretsrepo: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *commits, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gensecretsrepo:", err)
		os.Exit(1)
	}
}

func run(dir string, n int, seed uint64) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists: remove it or pick another directory", dir)
	}
	if out, err := exec.Command("git", "init", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %v: %s", err, out)
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	w := bufio.NewWriterSize(in, 1<<20)
	g := &gen{w: w, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		files: map[string][]string{}}
	g.history(n)
	if err := w.Flush(); err != nil {
		return err
	}
	if err := in.Close(); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git fast-import: %w", err)
	}
	out, err := exec.Command("git", "-C", dir, "reset", "-q", "--hard", "main").CombinedOutput()
	if err != nil {
		return fmt.Errorf("git reset: %v: %s", err, out)
	}
	fmt.Printf("%s: %d commits (%d merges), %d FAKE secrets planted\n", dir, g.count, g.merges, g.planted)
	return nil
}

// gen writes the fast-import stream.
type gen struct {
	w                       io.Writer
	rng                     *rand.Rand
	mark, count, merges     int
	planted                 int
	time                    int64
	files                   map[string][]string
	mainTip, featureCounter int
}

const nfiles = 400

func (g *gen) history(n int) {
	g.time = 1600000000
	for g.count < n {
		if g.count > 10 && g.rng.IntN(25) == 0 && n-g.count > 8 {
			g.branchAndMerge()
			continue
		}
		g.commit("refs/heads/main", g.mainTip, 0, g.edits(prefixMain))
		g.mainTip = g.mark
	}
}

const (
	prefixMain   = "src"
	prefixBranch = "feature"
)

// branchAndMerge commits a few changes on a branch off main, then merges
// it with a merge commit that applies them (and, now and then, adds a
// secret of its own while "resolving" the merge).
func (g *gen) branchAndMerge() {
	g.featureCounter++
	ref := fmt.Sprintf("refs/heads/feature-%d", g.featureCounter)
	base := g.mainTip
	tip := base
	touched := map[string]bool{}
	for range 2 + g.rng.IntN(4) {
		e := g.edits(prefixBranch)
		for p := range e {
			touched[p] = true
		}
		g.commit(ref, tip, 0, e)
		tip = g.mark
	}
	// The merge: main's tree plus the branch's files.
	merged := map[string][]string{}
	for p := range touched {
		merged[p] = g.files[p]
	}
	if g.rng.IntN(4) == 0 {
		p := fmt.Sprintf("deploy/merge-%d.env", g.featureCounter)
		g.files[p] = []string{"DB_HOST=db-merge.internal", "DB_USER=svc_merge_" + itoa(g.featureCounter),
			"DB_PASSWORD=FAKE-merge-secret-" + itoa(g.featureCounter)}
		merged[p] = g.files[p]
		g.planted++
	}
	g.commit("refs/heads/main", g.mainTip, tip, merged)
	g.mainTip = g.mark
	g.merges++
}

// edits changes one to three files: lines appended, now and then a file
// rewritten, and every so often a FAKE secret.
func (g *gen) edits(prefix string) map[string][]string {
	out := map[string][]string{}
	for range 1 + g.rng.IntN(3) {
		p := fmt.Sprintf("%s/pkg%02d/file%03d%s", prefix, g.rng.IntN(20), g.rng.IntN(nfiles/20),
			[]string{".go", ".yaml", ".properties", ".py"}[g.rng.IntN(4)])
		lines := g.files[p]
		if len(lines) > 150 {
			lines = lines[:0:0]
		}
		for range 10 + g.rng.IntN(40) {
			lines = append(lines, g.line(p))
		}
		if g.rng.IntN(150) == 0 {
			lines = append(lines, g.secret())
			g.planted++
		}
		g.files[p] = lines
		out[p] = lines
	}
	return out
}

var words = strings.Fields("account access audit billing claim client config connect " +
	"database encounter handler index lookup patient policy record request response " +
	"schema service session store table token user value visit worker")

func (g *gen) line(p string) string {
	a, b := words[g.rng.IntN(len(words))], words[g.rng.IntN(len(words))]
	switch {
	case strings.HasSuffix(p, ".go"):
		return fmt.Sprintf("\t%s%d := %sFor(ctx, %q) // %s the %s", a, g.rng.IntN(100), b, a, b, a)
	case strings.HasSuffix(p, ".yaml"):
		return fmt.Sprintf("  %s_%s: %d # %s", a, b, g.rng.IntN(10000), a)
	case strings.HasSuffix(p, ".properties"):
		return fmt.Sprintf("app.%s.%s=%s-%d", a, b, a, g.rng.IntN(1000))
	}
	return fmt.Sprintf("    %s = self.%s(%q)  # %s", a, b, a, b)
}

func (g *gen) secret() string {
	n := itoa(g.planted)
	switch g.rng.IntN(3) {
	case 0:
		return "DATABASE_URL=postgres://svc_gen" + n + ":FAKE-gen-pass-" + n + "@db" + n + ".internal:5432/app"
	case 1:
		return "spring.datasource.password=FAKE-gen-spring-" + n
	}
	return `password: "FAKE-gen-yaml-` + n + `"`
}

// commit writes one commit on ref with parent from (and merge, for a
// merge commit) that sets the given files.
func (g *gen) commit(ref string, from, merge int, files map[string][]string) {
	g.count++
	g.mark++
	g.time += 60 + int64(g.rng.IntN(600))
	fmt.Fprintf(g.w, "commit %s\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\n",
		ref, g.mark, g.time)
	msg := fmt.Sprintf("change %d", g.count)
	fmt.Fprintf(g.w, "data %d\n%s\n", len(msg), msg)
	if from > 0 {
		fmt.Fprintf(g.w, "from :%d\n", from)
	}
	if merge > 0 {
		fmt.Fprintf(g.w, "merge :%d\n", merge)
	}
	for p, lines := range files {
		body := strings.Join(lines, "\n") + "\n"
		fmt.Fprintf(g.w, "M 100644 inline %s\ndata %d\n%s\n", p, len(body), body)
	}
	fmt.Fprintln(g.w)
}

func itoa(n int) string { return fmt.Sprint(n) }
