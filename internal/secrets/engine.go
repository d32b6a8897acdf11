package secrets

import (
	"bytes"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

// detector is one kind of credential: the keywords that wake it and the
// function that reads a window around them.
type detector struct {
	name     string
	keywords []string
	fn       func(*doc, window, func(candidate))
}

// detectors lists every line detector. The order gives each its bit in
// the keyword masks; at most 64.
var detectors = []detector{
	{"uri", []string{"postgres", "mysql", "mariadb", "mongodb", "redis", "sqlserver", "mssql",
		"jdbc:oracle"}, detectURI},
	{"go-dsn", []string{"@tcp(", "@tcp6(", "@unix("}, detectGoDSN},
	{"connection-string", []string{"password", "pwd"}, detectADO},
	{"key-value", []string{"pass", "pwd", "secret", "token", "apikey", "api_key", "api-key",
		"api.key", "accesskey", "access_key", "access-key", "access.key"}, detectKeyValue},
	{"env", []string{"pass", "pwd", "secret", "token", "apikey", "api_key", "access_key"},
		detectEnv},
	{"sql", []string{"password", "identified"}, detectSQL},
	{"pem", []string{"private key-----", "private key block-----"}, detectPEM},
	{"aws", []string{"akia", "asia", "abia", "acca", "a3t"}, detectAWS},
	{"gcp", []string{"service_account"}, detectGCP},
	{"azure", []string{"q~"}, detectAzure},
	{"jwt", []string{"eyj"}, detectJWT},
	{"jwt-base64", []string{"zxlk"}, detectJWTBase64},
	{"docker", []string{`"auths"`}, detectDocker},
	{"kubeconfig", []string{"client-key-data", "token:"}, detectKubeconfig},
}

// newDetectorMatcher builds the keyword automaton of the detectors.
func newDetectorMatcher() (*matcher, error) {
	var kws []string
	var masks []uint64
	for i, d := range detectors {
		for _, k := range d.keywords {
			kws = append(kws, k)
			masks = append(masks, 1<<uint(i))
		}
	}
	return newMatcher(kws, masks)
}

// found is a settled candidate with its line number.
type found struct {
	candidate
	line int
}

// scanDoc runs every detector whose keywords occur in d and settles what
// they found.
func scanDoc(m *matcher, d *doc) []found {
	var cands []candidate
	emit := func(c candidate) { cands = append(cands, c) }
	if d.class.pgpass {
		detectPgpass(d, emit)
	}
	if d.class.tfstate {
		detectTFState(d, emit)
	}
	for i, w := range windows(m, d) {
		if i%64 == 63 && !d.deadline.IsZero() && time.Now().After(d.deadline) {
			d.timedOut = true
			break
		}
		for mask := w.mask; mask != 0; mask &= mask - 1 {
			detectors[bits.TrailingZeros64(mask)].fn(d, w, emit)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return settle(d, cands)
}

// settle drops placeholders and allowed lines, completes identities from
// context, picks the best reading of each secret and numbers the lines.
func settle(d *doc, cands []candidate) []found {
	kept := cands[:0]
	for _, c := range cands {
		if c.at < 0 || c.at > len(d.text) || isPlaceholder(c.secret) || allowedLine(d.text, c.at) {
			continue
		}
		if c.context {
			complete(d, &c)
		}
		if d.class.manifest && (c.rule == RuleDBPassword || c.rule == RuleCloudKey) {
			c.rule = RuleManifest
		}
		kept = append(kept, c)
	}
	sortCandidates(kept)

	// For each secret, the best reading lends its rule and identity to the
	// others whose identity does not contradict it.
	bySecret := map[string][]int{}
	for i, c := range kept {
		bySecret[c.secret] = append(bySecret[c.secret], i)
	}
	for _, idx := range bySecret {
		best := idx[0]
		for _, i := range idx[1:] {
			if better(kept[i], kept[best]) {
				best = i
			}
		}
		for _, i := range idx {
			if i != best && (strong(kept[i].secret) || compatible(kept[i].id, kept[best].id)) {
				kept[i].rule, kept[i].id, kept[i].variant = kept[best].rule, kept[best].id,
					kept[best].variant
			}
		}
	}

	// Two readings of the same spot (a JDBC URL read as a URL and as a
	// password= pair, a base64 JWT read as a token): keep the better.
	atBest := map[int]int{}
	for i, c := range kept {
		if j, ok := atBest[c.at]; !ok || better(c, kept[j]) {
			atBest[c.at] = i
		}
	}

	lc := lineCounter{text: d.text}
	var out []found
	seen := map[string]bool{}
	for i, c := range kept {
		if atBest[c.at] != i {
			continue
		}
		idx := lc.at(c.at)
		line := idx + 1
		if d.lines != nil && idx < len(d.lines) {
			line = d.lines[idx]
		}
		k := c.rule + "\x00" + c.secret + "\x00" + c.id.String() + "\x00" + strconv.Itoa(line)
		if seen[k] {
			continue
		}
		seen[k] = true
		if c.variant == "" && c.id.loopback() {
			c.variant = variantLoopback
		}
		out = append(out, found{candidate: c, line: line})
	}
	return out
}

// better reports whether a is a fuller reading of a secret than b.
func better(a, b candidate) bool {
	if ra, rb := a.id.richness(), b.id.richness(); ra != rb {
		return ra > rb
	}
	return a.prio > b.prio
}

// strong reports whether a secret is long and random enough that two
// readings of it are the same credential whatever identities they name;
// a weak password may be shared by unrelated accounts.
func strong(s string) bool { return len(s) >= 20 && entropy(s) >= 3.5 }

// compatible reports whether two identities could name the same account.
func compatible(a, b Identity) bool {
	same := func(x, y string) bool { return x == "" || y == "" || x == y }
	if !same(a.User, b.User) || !same(a.Email, b.Email) || !same(a.KeyID, b.KeyID) ||
		!same(a.Namespace, b.Namespace) || !same(a.Account, b.Account) {
		return false
	}
	if len(a.Hosts) == 0 || len(b.Hosts) == 0 {
		return true
	}
	for _, h := range a.Hosts {
		if slices.Contains(b.Hosts, h) {
			return true
		}
	}
	return false
}

// allowMarkers are the inline comments that accept a line: ward's own,
// and detect-secrets' pragma so that lines already reviewed stay quiet.
var allowMarkers = [][]byte{[]byte("ward:allow"), []byte("pragma: allowlist secret")}

// allowedLine reports whether the line holding offset at carries an
// allow marker.
func allowedLine(text []byte, at int) bool {
	s, e := lineBounds(text, min(at, len(text)), maxWindow)
	line := text[s:e]
	for _, m := range allowMarkers {
		if bytes.Contains(line, m) {
			return true
		}
	}
	return false
}

// isBinary reports whether data looks binary: a NUL byte in its first
// 8,000 bytes, as git decides.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// cleanPath turns an OS path relative to the root into a slash path.
func cleanPath(p string) string {
	return strings.TrimPrefix(strings.ReplaceAll(p, "\\", "/"), "./")
}
