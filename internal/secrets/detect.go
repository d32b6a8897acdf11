package secrets

import (
	"bytes"
	"cmp"
	"path"
	"slices"
	"strings"
	"time"
)

// The rule IDs this package reports. They are part of ward's interface.
const (
	RuleDBPassword = "SECRET-HARDCODED-DB-PASSWORD"
	RuleCloudKey   = "SECRET-HARDCODED-CLOUD-KEY"
	RuleManifest   = "SECRET-PLAINTEXT-MANIFEST"
	RulePrivateKey = "SECRET-PRIVATE-KEY"
)

// Variants name the narrower cases that take another base severity from
// the rules catalogue.
const (
	variantLoopback  = "loopback"
	variantEncrypted = "encrypted"
	variantMalformed = "malformed"
	variantExample   = "example"
)

// candidate is one credential a detector found in a document, before
// placeholders, allow markers and duplicates are dropped.
type candidate struct {
	rule string
	// kind says what was found, for people: "postgres URI password".
	kind   string
	secret string
	id     Identity
	// variant picks a narrower base severity (loopback, encrypted…).
	variant string
	// at is the byte offset in the document where the secret is written.
	at int
	// key is the name of the key that held the secret, when there was
	// one; context lookups prefer keys that share its prefix.
	key string
	// context asks for the identity to be completed from nearby lines.
	context bool
	// prio breaks ties between detectors that found the same secret:
	// higher wins.
	prio int
}

// window is the part of a document around keyword hits that a line
// detector looks at: at most one line, cut to maxWindow bytes each side
// of the hits.
type window struct {
	start, end int
	mask       uint64
}

// maxWindow bounds how far from a keyword hit a line detector reads, so
// that a single 1 GB line costs linear time, not quadratic.
const maxWindow = 1024

// doc is one text to scan: a file, or the added lines of one file in one
// commit.
type doc struct {
	path string
	text []byte
	// lines maps a line index of text (0-based) to the line number to
	// report; nil means index+1.
	lines []int
	class fileClass
	// deadline bounds the time spent on the document.
	deadline time.Time
	// timedOut is set when the deadline passed before the end.
	timedOut bool
	// memo keeps work that detectors would otherwise repeat for each of
	// many hits, so that hostile input costs linear time.
	memo docMemo
}

// docMemo caches per-document results of the detectors.
type docMemo struct {
	// pairs are the key/value pairs of a line, by the line's start.
	pairs map[int][][]string
	// awsSecrets are the secret-key-shaped strings of a line, as
	// offsets in the document, by the line's start.
	awsSecrets map[int][][2]int
	// pemNoEnd is an offset before which, from the last search on, no
	// END armour line exists.
	pemFrom, pemNoEnd int
	// done is, per region detector, the end of the region it has read.
	done map[string]int
	// envIDs counts the env lists read to name an account, which is
	// bounded per document (maxEnvIdentities).
	envIDs int
}

// claim reports whether a region detector should read the window ending
// at end, and records that it has read up to regionEnd. Hits inside a
// region already read are skipped, so each byte is read a bounded number
// of times however dense the hits.
func (d *doc) claim(name string, end, regionEnd int) bool {
	if d.memo.done == nil {
		d.memo.done = map[string]int{}
	}
	if end <= d.memo.done[name] {
		return false
	}
	d.memo.done[name] = regionEnd
	return true
}

// fileClass is what the path and the first bytes say about a file.
type fileClass struct {
	// bareValues allows unquoted values in key = value pairs, as in .env,
	// INI, YAML or properties files; code needs a quoted literal.
	bareValues bool
	// manifest marks deployment manifests: Kubernetes objects, Helm
	// values, compose files and systemd units.
	manifest   bool
	kubeconfig bool
	pgpass     bool
	tfstate    bool
}

var codeExts = map[string]bool{
	".go": true, ".java": true, ".kt": true, ".kts": true, ".scala": true, ".groovy": true,
	".py": true, ".rb": true, ".js": true, ".mjs": true, ".cjs": true, ".ts": true,
	".tsx": true, ".jsx": true, ".cs": true, ".php": true, ".c": true, ".h": true,
	".cc": true, ".cpp": true, ".hpp": true, ".rs": true, ".swift": true, ".m": true,
	".dart": true, ".lua": true, ".pl": true, ".r": true, ".s": true, ".vb": true,
	".fs": true, ".ex": true, ".exs": true, ".erl": true, ".clj": true, ".hs": true,
	".html": true, ".htm": true, ".css": true, ".md": true, ".rst": true, ".tex": true,
}

// classify decides how a file is read from its path and its first bytes.
func classify(p string, head []byte) fileClass {
	base := strings.ToLower(path.Base(p))
	ext := path.Ext(base)
	c := fileClass{bareValues: !codeExts[ext]}
	switch {
	case base == ".pgpass" || base == "pgpass.conf" || strings.HasSuffix(base, ".pgpass"):
		c.pgpass = true
	case strings.HasSuffix(base, ".tfstate") || strings.HasSuffix(base, ".tfstate.backup"):
		c.tfstate = true
	}
	yamlish := ext == ".yaml" || ext == ".yml" || ext == ".json"
	switch {
	case strings.HasPrefix(base, "docker-compose") && yamlish,
		strings.HasPrefix(base, "compose.") && yamlish,
		ext == ".service" || ext == ".socket" || ext == ".timer",
		strings.HasPrefix(base, "values") && (ext == ".yaml" || ext == ".yml"):
		c.manifest = true
	case yamlish && bytes.Contains(head, []byte("apiVersion")) && bytes.Contains(head, []byte("kind")):
		c.manifest = true
	}
	if bytes.Contains(head, []byte("clusters:")) && bytes.Contains(head, []byte("users:")) ||
		bytes.Contains(head, []byte("kind: Config")) {
		c.kubeconfig = true
		c.manifest = false
	}
	return c
}

// lineIndex returns the line index (0-based) of byte offset at, counting
// from a known position to keep repeated calls linear.
type lineCounter struct {
	text []byte
	pos  int
	line int
}

func (lc *lineCounter) at(off int) int {
	if off < lc.pos {
		lc.pos, lc.line = 0, 0
	}
	lc.line += bytes.Count(lc.text[lc.pos:off], []byte{'\n'})
	lc.pos = off
	return lc.line
}

// lineBounds returns the start and end (exclusive, before '\n') of the
// line holding offset at, looking at most lim bytes each way.
func lineBounds(text []byte, at, lim int) (int, int) {
	lo := max(0, at-lim)
	start := lo
	if i := bytes.LastIndexByte(text[lo:at], '\n'); i >= 0 {
		start = lo + i + 1
	}
	hi := min(len(text), at+lim)
	end := hi
	if i := bytes.IndexByte(text[at:hi], '\n'); i >= 0 {
		end = at + i
	}
	return start, end
}

// windows groups the keyword hits of d into windows: one per line holding
// hits, cut to maxWindow bytes around them.
func windows(m *matcher, d *doc) []window {
	var out []window
	cur := window{start: -1}
	m.scan(d.text, func(end int, mask uint64) bool {
		at := end - 1
		if cur.start >= 0 && at < cur.end {
			cur.mask |= mask
			return true
		}
		if cur.start >= 0 {
			out = append(out, cur)
		}
		ls, le := lineBounds(d.text, at, maxWindow)
		cur = window{start: ls, end: le, mask: mask}
		return true
	})
	if cur.start >= 0 {
		out = append(out, cur)
	}
	return out
}

// sortCandidates orders candidates by position, then by preference.
func sortCandidates(cs []candidate) {
	slices.SortStableFunc(cs, func(a, b candidate) int {
		return cmp.Compare(a.at, b.at)
	})
}
