package secrets

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/rules"
	"github.com/wardsec/ward/internal/secret"
)

// Defaults of Options.
const (
	DefaultMaxFileSize = 25 << 20
	DefaultFileTimeout = 10 * time.Second
	DefaultSource      = "code"
)

// Options configure a Scanner. The zero value is usable.
type Options struct {
	// Source names the code source in findings; DefaultSource when empty.
	Source string
	// Workers is how many files are scanned at once; all cores when 0.
	Workers int
	// MaxFileSize skips larger files (and larger added text of one file in
	// one commit); DefaultMaxFileSize when 0.
	MaxFileSize int64
	// FileTimeout bounds the time spent on one file; DefaultFileTimeout
	// when 0. A file that takes longer is reported as partly scanned.
	FileTimeout time.Duration
	// Key is the HMAC-SHA256 key of the keyed hashes that fingerprints
	// and displays use instead of the secret. Without one, a random key
	// is drawn per Scanner: fingerprints are then stable within a run
	// only. Keep a key (ward keeps one per store) for stable fingerprints.
	Key []byte
	// Allow drops findings by path or by pattern.
	Allow Allowlist
	// Logger receives debug details; nothing when nil.
	Logger *slog.Logger
}

// Scanner finds hard-coded credentials in files and git history. It is
// safe for concurrent use.
type Scanner struct {
	opts    Options
	m       *matcher
	key     []byte
	catalog map[string]rules.Rule
}

// New builds a Scanner.
func New(opts Options) (*Scanner, error) {
	if opts.Source == "" {
		opts.Source = DefaultSource
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.FileTimeout <= 0 {
		opts.FileTimeout = DefaultFileTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newDetectorMatcher()
	if err != nil {
		return nil, fmt.Errorf("build keyword matcher: %w", err)
	}
	key := opts.Key
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("draw fingerprint key: %w", err)
		}
	}
	cat := map[string]rules.Rule{}
	for _, r := range rules.Catalog() {
		cat[r.ID] = r
	}
	for _, id := range []string{RuleDBPassword, RuleCloudKey, RuleManifest, RulePrivateKey} {
		if _, ok := cat[id]; !ok {
			return nil, fmt.Errorf("rule %s is missing from the rules catalogue", id)
		}
	}
	return &Scanner{opts: opts, m: m, key: key, catalog: cat}, nil
}

// Secret is one place where a credential is written: a file line, or a
// line added by a commit. It never holds the secret in printable form.
type Secret struct {
	RuleID   string             `json:"rule_id"`
	Severity inventory.Severity `json:"severity"`
	// Kind says what was found, such as "PostgreSQL URI password".
	Kind     string   `json:"kind"`
	Variant  string   `json:"variant,omitempty"`
	Identity Identity `json:"identity"`
	// Path is slash-separated and relative to the scanned root.
	Path string `json:"path"`
	Line int    `json:"line"`
	// Commit and CommitTime are set for history scans: the oldest commit
	// that adds the secret at this path.
	Commit     string    `json:"commit,omitempty"`
	CommitTime time.Time `json:"commit_time,omitzero"`
	// Redacted shows at most the first and last two characters.
	Redacted string `json:"redacted"`
	// KeyedHash is the start of HMAC-SHA256(key, secret): equal secrets
	// have equal hashes within one key, and nobody without the key can
	// test a guess against it.
	KeyedHash string `json:"keyed_hash"`
	// Fingerprint identifies the finding: rule, source, identity, path
	// and keyed hash; never the line, which moves.
	Fingerprint string `json:"fingerprint"`
	// Verification is the outcome of a login tried with the secret
	// (Verify, `--verify`); nil when none was tried.
	Verification *Verification `json:"verification,omitempty"`
	value        secret.Value
}

// Value returns the secret, wrapped so that it cannot be printed.
func (s Secret) Value() secret.Value { return s.value }

// Stats counts what a scan read and what it skipped, by reason.
type Stats struct {
	Files   int            `json:"files"`
	Bytes   int64          `json:"bytes"`
	Commits int            `json:"commits,omitempty"`
	Skipped map[string]int `json:"skipped,omitempty"`
	// Allowed counts findings dropped by allowlists and baselines.
	Allowed int `json:"allowed,omitempty"`
}

func (s *Stats) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	s.Skipped[reason]++
}

func (s *Stats) add(o Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.Commits += o.Commits
	s.Allowed += o.Allowed
	for k, v := range o.Skipped {
		if s.Skipped == nil {
			s.Skipped = map[string]int{}
		}
		s.Skipped[k] += v
	}
}

// Result is what one scan found.
type Result struct {
	Secrets []Secret `json:"secrets"`
	Stats   Stats    `json:"stats"`
}

// The skip reasons of Stats.Skipped.
const (
	SkipBinary     = "binary (NUL bytes)"
	SkipOversized  = "larger than the size limit"
	SkipSymlink    = "symbolic link (not followed)"
	SkipUnreadable = "unreadable"
	SkipTimeout    = "time limit reached (partly scanned)"
	SkipAllowed    = "path allowlisted"
	SkipSpecial    = "not a regular file"
)

// ScanPath scans the regular files under root (or root itself when it is
// a file). Symbolic links are not followed, so loops cannot occur; the
// root itself may be one.
func (s *Scanner) ScanPath(ctx context.Context, root string) (*Result, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", root, err)
	}
	type job struct {
		path, rel string
		size      int64
	}
	jobs := make(chan job, 256)
	var mu sync.Mutex
	res := &Result{}
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var st Stats
			var buf []byte
			var out []Secret
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				var secs []Secret
				buf, secs = s.scanFile(j.path, j.rel, j.size, buf, &st)
				out = append(out, secs...)
			}
			mu.Lock()
			res.Stats.add(st)
			res.Secrets = append(res.Secrets, out...)
			mu.Unlock()
		}()
	}

	var walkStats Stats
	var walkErr error
	if !info.IsDir() {
		jobs <- job{path: root, rel: filepath.Base(root), size: info.Size()}
	} else {
		walkErr = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			rel, _ := filepath.Rel(root, p)
			rel = cleanPath(rel)
			if err != nil {
				walkStats.skip(SkipUnreadable)
				s.opts.Logger.Debug("unreadable", "path", rel, "err", err)
				if e != nil && e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			switch {
			case e.IsDir():
				if p != root && (skipDirs[e.Name()] || s.opts.Allow.pathAllowed(rel+"/")) {
					return fs.SkipDir
				}
				return nil
			case e.Type()&fs.ModeSymlink != 0:
				walkStats.skip(SkipSymlink)
				return nil
			case !e.Type().IsRegular():
				walkStats.skip(SkipSpecial)
				return nil
			case s.opts.Allow.pathAllowed(rel):
				walkStats.skip(SkipAllowed)
				return nil
			}
			fi, err := e.Info()
			if err != nil {
				walkStats.skip(SkipUnreadable)
				return nil
			}
			jobs <- job{path: p, rel: rel, size: fi.Size()}
			return nil
		})
	}
	close(jobs)
	wg.Wait()
	res.Stats.add(walkStats)
	if walkErr != nil {
		return nil, fmt.Errorf("walk %s: %w", root, walkErr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.finish(res)
	return res, nil
}

// skipDirs are never entered: git's own store and installed packages.
var skipDirs = map[string]bool{".git": true, "node_modules": true}

// scanFile reads and scans one file, reusing buf.
func (s *Scanner) scanFile(p, rel string, size int64, buf []byte, st *Stats) ([]byte, []Secret) {
	if size > s.opts.MaxFileSize {
		st.skip(SkipOversized)
		return buf, nil
	}
	f, err := os.Open(p)
	if err != nil {
		st.skip(SkipUnreadable)
		s.opts.Logger.Debug("unreadable", "path", rel, "err", err)
		return buf, nil
	}
	defer f.Close()
	buf, err = readLimited(f, buf, s.opts.MaxFileSize)
	switch {
	case errors.Is(err, errTooLarge):
		st.skip(SkipOversized)
		return buf, nil
	case err != nil:
		st.skip(SkipUnreadable)
		s.opts.Logger.Debug("unreadable", "path", rel, "err", err)
		return buf, nil
	}
	text := buf
	if u, ok := decodeUTF16(buf); ok {
		text = u
	} else if isBinary(buf) {
		st.skip(SkipBinary)
		return buf, nil
	}
	st.Files++
	st.Bytes += int64(len(buf))
	d := &doc{path: rel, text: text, class: classify(rel, text[:min(len(text), 4096)]),
		deadline: time.Now().Add(s.opts.FileTimeout)}
	fs := scanDoc(s.m, d)
	if d.timedOut {
		st.skip(SkipTimeout)
	}
	return buf, s.secrets(d, fs, "", time.Time{}, st)
}

var errTooLarge = errors.New("file larger than the limit")

// readLimited reads r into buf, failing with errTooLarge past limit bytes
// (the file may have grown since it was listed).
func readLimited(r io.Reader, buf []byte, limit int64) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(4096, cap(buf)))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// secrets turns what was found in d into Secrets, dropping those the
// allowlist names.
func (s *Scanner) secrets(d *doc, fs []found, commit string, when time.Time, st *Stats) []Secret {
	var out []Secret
	for _, f := range fs {
		if s.opts.Allow.secretAllowed(f.secret) {
			st.Allowed++
			continue
		}
		out = append(out, s.secretOf(d.path, f, commit, when))
	}
	return out
}

// secretOf builds the Secret of one finding.
func (s *Scanner) secretOf(path string, f found, commit string, when time.Time) Secret {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(f.secret))
	kh := hex.EncodeToString(mac.Sum(nil))[:16]
	r := s.catalog[f.rule]
	return Secret{
		RuleID:      f.rule,
		Severity:    r.SeverityFor(f.variant),
		Kind:        f.kind,
		Variant:     f.variant,
		Identity:    f.id,
		Path:        path,
		Line:        f.line,
		Commit:      commit,
		CommitTime:  when,
		Redacted:    redact(f.secret),
		KeyedHash:   kh,
		Fingerprint: inventory.Fingerprint(f.rule, s.opts.Source, f.id.String(), path+"#"+kh),
		value:       secret.New(f.secret),
	}
}

// finish sorts the secrets of a result by path, line and rule.
func (s *Scanner) finish(res *Result) {
	sort.SliceStable(res.Secrets, func(i, j int) bool {
		a, b := res.Secrets[i], res.Secrets[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.RuleID < b.RuleID
	})
}

// ScanBytes scans one in-memory file as if read from path. It is for
// tests, fuzzing and callers that already hold the content.
func (s *Scanner) ScanBytes(path string, data []byte) []Secret {
	var st Stats
	if u, ok := decodeUTF16(data); ok {
		data = u
	} else if isBinary(data) {
		return nil
	}
	d := &doc{path: path, text: data, class: classify(path, data[:min(len(data), 4096)]),
		deadline: time.Now().Add(s.opts.FileTimeout)}
	return s.secrets(d, scanDoc(s.m, d), "", time.Time{}, &st)
}
