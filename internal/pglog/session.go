package pglog

import (
	"strconv"
	"unicode/utf8"

	"github.com/wardsec/ward/internal/inventory"
)

// session is what the parser remembers of one backend between its lines:
// who logged in, from where, with which program.
type session struct {
	user, db, app, host string
	port                int
	id                  string
	derived             bool
	replication         bool
	authMethod          string
	identity            string
	// lines counts the session's records, to number them where the log
	// does not; counted says the count started at the session's first line.
	lines   int64
	counted bool
	// auditStmt and auditHash remember the statement of the last pgaudit
	// row, for rows that say "<previously logged>".
	auditStmt int64
	auditHash string
	// pending is a "connection authenticated" event held back until the
	// next line of the session names the user, where the log line lacks it.
	pending *inventory.Event
}

// sessionTable maps session keys to sessions, capped in size.
type sessionTable struct {
	m   map[uint64]*session
	max int
}

func (t *sessionTable) init(max int) {
	t.m = make(map[uint64]*session)
	t.max = max
}

// pidKey is the key of a session known only by its pid.
func pidKey(pid int) uint64 { return 1<<63 | uint64(uint32(pid)) }

// sessionKey parses a session id ("6b12d83e.656f": backend start time and
// pid in hex) into a key; ok is false when it is not one.
func sessionKey(id []byte) (uint64, bool) {
	var hi, lo uint64
	i := 0
	for ; i < len(id) && id[i] != '.'; i++ {
		d, ok := hexDigit(id[i])
		if !ok || i >= 8 {
			return 0, false
		}
		hi = hi<<4 | d
	}
	if i == 0 || i >= len(id)-1 {
		return 0, false
	}
	for j := i + 1; j < len(id); j++ {
		d, ok := hexDigit(id[j])
		if !ok || j-i > 8 {
			return 0, false
		}
		lo = lo<<4 | d
	}
	return hi<<32 | lo, true
}

func hexDigit(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	}
	return 0, false
}

// derivedID formats a session id the way PostgreSQL does, from the
// backend's start second and pid.
func derivedID(start int64, pid int) string {
	return strconv.FormatInt(start, 16) + "." + strconv.FormatInt(int64(pid), 16)
}

// get returns the session of key, or nil.
func (t *sessionTable) get(key uint64) *session { return t.m[key] }

// open starts a fresh session under key, replacing any earlier one (pids
// are reused). It returns the session and how many were evicted to stay
// under the cap.
func (t *sessionTable) open(key uint64) (*session, int) {
	evicted := 0
	if _, ok := t.m[key]; !ok && len(t.m) >= t.max {
		// Forget a sixteenth of the sessions, in map order: sessions whose
		// end was never logged (crashes, rotation) pile up otherwise.
		drop := max(1, t.max/16)
		for k := range t.m {
			delete(t.m, k)
			evicted++
			if evicted >= drop {
				break
			}
		}
	}
	s := &session{}
	t.m[key] = s
	return s, evicted
}

// end forgets the session of key.
func (t *sessionTable) end(key uint64) { delete(t.m, key) }

// interner shares the strings that repeat from record to record (users,
// databases, programs, pgaudit classes), so most records allocate none.
type interner struct {
	m map[string]string
}

const (
	internMax    = 8192
	internMaxLen = 96
)

func (in *interner) init() { in.m = make(map[string]string, 256) }

// get returns b as a string, shared when short. ok is false when b was
// not valid UTF-8 and was repaired.
func (in *interner) get(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", true
	}
	if len(b) <= internMaxLen {
		if s, ok := in.m[string(b)]; ok {
			return s, true
		}
	}
	s, ok := validString(b)
	if len(b) <= internMaxLen {
		if len(in.m) >= internMax {
			clear(in.m)
		}
		in.m[string(b)] = s
	}
	return s, ok
}

// validString returns b as a string with invalid UTF-8 replaced by U+FFFD;
// ok is false when something was replaced.
func validString(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), true
	}
	return string([]rune(string(b))), false
}
