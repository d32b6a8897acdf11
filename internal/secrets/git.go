package secrets

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The skip reasons of history scans.
const (
	SkipBadCommit = "commit git could not read (corrupt or missing object)"
	SkipLongLine  = "added line longer than the size limit"
)

// ScanHistory scans every commit reachable from any ref of the repository
// at repo (or, with since, those not reachable from since). It reads only
// the lines each commit adds. A merge commit is compared with each of its
// parents, and only the lines that none of them has count as added: so a
// secret introduced while resolving a merge is found, and one that came
// from a branch is credited to the branch's commit. Each secret is
// reported once per path, at the oldest commit that adds it.
//
// It runs the git command: one `git log` process per worker, each over a
// share of the commits.
func (s *Scanner) ScanHistory(ctx context.Context, repo, since string) (*Result, error) {
	args := []string{"rev-list", "--all"}
	if since != "" {
		args = append(args, "--not", since)
	}
	out, err := gitOutput(ctx, repo, args...)
	if err != nil {
		return nil, err
	}
	commits := strings.Fields(string(out))
	res := &Result{Stats: Stats{Commits: len(commits)}}

	// Deal the commits out round-robin so each process gets old and new.
	n := min(s.opts.Workers, max(1, len(commits)))
	batches := make([][]string, n)
	for i, c := range commits {
		batches[i%n] = append(batches[i%n], c)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var errs []error
	for _, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secs, st, err := s.scanCommits(ctx, repo, b)
			mu.Lock()
			defer mu.Unlock()
			res.Secrets = append(res.Secrets, secs...)
			res.Stats.add(st)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res.Secrets = oldestFirst(res.Secrets)
	s.finish(res)
	return res, nil
}

// oldestFirst keeps one Secret per fingerprint: the one of the oldest
// commit (by commit time, then hash for a stable choice).
func oldestFirst(secs []Secret) []Secret {
	best := map[string]int{}
	var out []Secret
	for _, sc := range secs {
		i, ok := best[sc.Fingerprint]
		if !ok {
			best[sc.Fingerprint] = len(out)
			out = append(out, sc)
			continue
		}
		o := out[i]
		if sc.CommitTime.Before(o.CommitTime) ||
			sc.CommitTime.Equal(o.CommitTime) && sc.Commit < o.Commit {
			out[i] = sc
		}
	}
	return out
}

// scanCommits runs git log over commits. When git fails part-way (a
// corrupt object), the commit it stopped on is counted and skipped and
// the rest are scanned again, so one bad object costs one commit.
func (s *Scanner) scanCommits(ctx context.Context, repo string, commits []string) (
	[]Secret, Stats, error) {
	var all []Secret
	var st Stats
	for len(commits) > 0 {
		p := &historyParser{s: s, st: &st, seen: map[string]bool{}}
		err := s.runLog(ctx, repo, commits, p)
		all = append(all, p.out...)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, st, ctx.Err()
		}
		// Skip the commit git stopped in (the last one it began), or the
		// first one when it printed none.
		bad := commits[0]
		if p.commit != "" {
			bad = p.commit
		}
		st.skip(SkipBadCommit)
		s.opts.Logger.Debug("git log failed", "commit", bad, "err", err)
		var rest []string
		for _, c := range commits {
			if !p.seen[c] && c != bad {
				rest = append(rest, c)
			}
		}
		if len(rest) >= len(commits) {
			return all, st, fmt.Errorf("git log in %s: %w", repo, err)
		}
		commits = rest
	}
	return all, st, nil
}

// runLog streams `git log -p` of the given commits into p.
func (s *Scanner) runLog(ctx context.Context, repo string, commits []string, p *historyParser) error {
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "-c", "core.quotePath=false",
		"log", "--no-walk=unsorted", "--stdin", "-p", "-U"+strconv.Itoa(historyContext), "--no-renames", "--no-ext-diff",
		"--no-textconv", "--no-color", "--diff-merges=dense-combined", "--format=%x00%H %ct")
	cmd.Stdin = strings.NewReader(strings.Join(commits, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("start git log: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start git log: %w", err)
	}
	perr := p.parse(bufio.NewReaderSize(out, 1<<20))
	if perr != nil {
		_, _ = io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	if werr != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return fmt.Errorf("%w: %s", werr, msg)
	}
	return perr
}

// historyContext is how many unchanged lines git shows around each change.
// They are scanned for the user, host and database beside an added
// password, never reported themselves.
const historyContext = 2

// historyParser reads git log -p output and scans the added lines of
// each file of each commit as one document.
type historyParser struct {
	s    *Scanner
	st   *Stats
	out  []Secret
	seen map[string]bool

	commit string
	when   time.Time
	// The file being read: its path, the columns of its hunk lines (one
	// per parent), the next line number and the added text.
	path    string
	cols    int
	next    int
	skip    bool
	text    []byte
	lines   []int
	toolong bool
	// added holds the line numbers of added lines; the rest of text is
	// context.
	added      map[int]bool
	addedBytes int
}

// parse consumes the whole stream.
func (p *historyParser) parse(r *bufio.Reader) error {
	for {
		line, err := readLine(r, p.s.opts.MaxFileSize)
		if line != nil {
			p.line(line)
		}
		if errors.Is(err, errTooLarge) {
			p.st.skip(SkipLongLine)
			continue
		}
		if err == io.EOF {
			p.flush()
			return nil
		}
		if err != nil {
			return fmt.Errorf("read git log: %w", err)
		}
	}
}

// readLine returns the next line without its newline; a line longer than
// limit is dropped with errTooLarge.
func readLine(r *bufio.Reader, limit int64) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == nil || err == io.EOF {
		if len(line) == 0 && err == io.EOF {
			return nil, io.EOF
		}
		return bytes.TrimSuffix(line, []byte{'\n'}), err
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	buf := append([]byte(nil), line...)
	for {
		line, err = r.ReadSlice('\n')
		if int64(len(buf)) <= limit {
			buf = append(buf, line...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return bytes.TrimSuffix(buf, []byte{'\n'}), err
	}
}

func (p *historyParser) line(l []byte) {
	switch {
	case len(l) > 0 && l[0] == 0:
		p.flush()
		hash, ts, _ := strings.Cut(string(l[1:]), " ")
		p.commit = hash
		p.seen[hash] = true
		sec, _ := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
		p.when = time.Unix(sec, 0).UTC()
		p.path = ""
	case bytes.HasPrefix(l, []byte("diff --")):
		p.flush()
		p.path, p.skip = "", false
		p.cols = 1
		if bytes.HasPrefix(l, []byte("diff --cc ")) || bytes.HasPrefix(l, []byte("diff --combined ")) {
			p.cols = 2
		}
	case p.next == 0 && bytes.HasPrefix(l, []byte("+++ ")):
		name := string(l[4:])
		if name == "/dev/null" {
			p.skip = true
			return
		}
		name = strings.TrimPrefix(name, "b/")
		p.path = name
		p.skip = skippedPath(name) || p.s.opts.Allow.pathAllowed(name)
		if p.skip && !skippedPath(name) {
			p.st.skip(SkipAllowed)
		}
	case bytes.HasPrefix(l, []byte("@@")):
		p.hunk(l)
	case p.path == "" || p.skip || p.next == 0:
	default:
		p.hunkLine(l)
	}
}

// hunk reads a hunk header: "@@ -a,b +c,d @@" or, for a merge, one "-"
// range per parent and "@@@".
func (p *historyParser) hunk(l []byte) {
	ats := 0
	for ats < len(l) && l[ats] == '@' {
		ats++
	}
	p.cols = ats - 1
	for _, f := range strings.Fields(string(l[ats:])) {
		if strings.HasPrefix(f, "+") {
			start, _, _ := strings.Cut(f[1:], ",")
			n, err := strconv.Atoi(start)
			if err == nil {
				p.next = max(n, 1)
			}
			return
		}
	}
}

// hunkLine reads one line of a hunk: added lines (added against every
// parent) go into the document, lines that exist in the result advance the
// line number, removed ones do neither.
func (p *historyParser) hunkLine(l []byte) {
	if len(l) > 0 && l[0] == '\\' {
		return // "\ No newline at end of file"
	}
	if len(l) < p.cols {
		return
	}
	added, removed := true, false
	for _, c := range l[:p.cols] {
		switch c {
		case '+':
		case '-':
			removed = true
			added = false
		default:
			added = false
		}
	}
	if removed {
		return
	}
	if !p.toolong {
		if int64(len(p.text)+len(l)) > p.s.opts.MaxFileSize {
			p.toolong = true
		} else {
			p.text = append(p.text, l[p.cols:]...)
			p.text = append(p.text, '\n')
			p.lines = append(p.lines, p.next)
			if added {
				if p.added == nil {
					p.added = map[int]bool{}
				}
				p.added[p.next] = true
				p.addedBytes += len(l) - p.cols + 1
			}
		}
	}
	p.next++
}

// flush scans the added text of the file just read.
func (p *historyParser) flush() {
	defer func() {
		p.text, p.lines, p.next, p.toolong = p.text[:0], p.lines[:0], 0, false
		clear(p.added)
		p.addedBytes = 0
	}()
	if p.toolong {
		p.st.skip(SkipOversized)
	}
	if len(p.added) == 0 || p.path == "" {
		return
	}
	if isBinary(p.text) {
		p.st.skip(SkipBinary)
		return
	}
	p.st.Files++
	p.st.Bytes += int64(p.addedBytes)
	d := &doc{path: p.path, text: p.text, lines: p.lines,
		class:    classify(p.path, p.text[:min(len(p.text), 4096)]),
		deadline: time.Now().Add(p.s.opts.FileTimeout)}
	fs := scanDoc(p.s.m, d)
	if d.timedOut {
		p.st.skip(SkipTimeout)
	}
	// Context lines were read for identities only.
	kept := fs[:0]
	for _, f := range fs {
		if p.added[f.line] {
			kept = append(kept, f)
		}
	}
	fs = kept
	if len(fs) > 0 {
		p.out = append(p.out, p.s.secrets(d, fs, p.commit, p.when, p.st)...)
	}
}

// skippedPath reports whether a path lies in a directory that tree scans
// never enter.
func skippedPath(p string) bool {
	for _, part := range strings.Split(path.Dir(p), "/") {
		if skipDirs[part] {
			return true
		}
	}
	return false
}

// gitOutput runs a git command in repo and returns its standard output.
func gitOutput(ctx context.Context, repo string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("git %s in %s: %w: %s", args[0], repo, err, msg)
	}
	return out, nil
}
