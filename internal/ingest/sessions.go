package ingest

import (
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/store"
)

// sessionIdle is how long after its last event a remembered session is
// still trusted to name the user of a backend's events: past it, the pid
// may belong to a session whose connection lines were never read.
const sessionIdle = 24 * time.Hour

// sessions remembers the open sessions of a source by backend pid, from
// their connection events, across segments and runs. The parser joins
// each line to its session itself; this fills in what it could not, when
// the session began before the logs this run read: after a restart, or in
// the next rotated file read by a later run. An event is filled only from
// a session begun before it, of the same user and session id where the
// event names them, seen within sessionIdle, and only in the fields it
// lacks. The record numbers within a session (SessionLine) of a stderr log
// without %l cannot be recovered: they stay 0.
type sessions struct {
	open map[int]*store.LogSession
	// dirty and ended are the changes not yet saved; saved are those of
	// the batch being committed, undone by rollback.
	dirty map[int]bool
	ended map[int]bool
	// undo restores the sessions as the last commit left them.
	undo map[int]*store.LogSession
}

func newSessions(open []store.LogSession) *sessions {
	s := &sessions{open: map[int]*store.LogSession{}, dirty: map[int]bool{},
		ended: map[int]bool{}, undo: map[int]*store.LogSession{}}
	for i := range open {
		ls := open[i]
		s.open[ls.PID] = &ls
	}
	return s
}

// observe records what ev says of its session and fills in its user from
// the session when the parser could not; it reports whether it did.
func (s *sessions) observe(ev *inventory.Event) bool {
	if ev.PID <= 0 {
		return false
	}
	switch ev.Action {
	case inventory.ActionConnect:
		if ev.User != "" {
			s.keep(ev.PID)
			s.open[ev.PID] = &store.LogSession{PID: ev.PID, SessionID: ev.SessionID,
				Derived: ev.SessionDerived, Replication: ev.Replication, User: ev.User,
				Database:    ev.Database,
				Application: ev.Application, ClientAddr: ev.ClientAddr,
				ClientPort: ev.ClientPort, Started: ev.Time, LastSeen: ev.Time}
			s.dirty[ev.PID], s.ended[ev.PID] = true, false
		}
		return false
	case inventory.ActionStatement, inventory.ActionAudit, inventory.ActionError,
		inventory.ActionDisconnect:
	default:
		return false
	}
	ls := s.open[ev.PID]
	if ls == nil || ev.SessionID != "" && ev.SessionID != ls.SessionID ||
		ev.User != "" && ev.User != ls.User {
		return false
	}
	filled := false
	if !ev.Time.Before(ls.Started) && ev.Time.Sub(ls.LastSeen) <= sessionIdle {
		filled = fill(ev, ls)
	}
	s.keep(ev.PID)
	if ev.Action == inventory.ActionDisconnect {
		delete(s.open, ev.PID)
		s.dirty[ev.PID], s.ended[ev.PID] = false, true
		return filled
	}
	if ev.Time.After(ls.LastSeen) {
		ls.LastSeen = ev.Time
		s.dirty[ev.PID] = true
	}
	return filled
}

// fill copies the session's fields that ev lacks, and reports whether ev
// lacked its user.
func fill(ev *inventory.Event, ls *store.LogSession) bool {
	filled := ev.User == ""
	ev.User = ls.User
	ev.Replication = ev.Replication || ls.Replication
	if ev.Database == "" {
		ev.Database = ls.Database
	}
	if ev.Application == "" {
		ev.Application = ls.Application
	}
	if ev.ClientAddr == "" {
		ev.ClientAddr, ev.ClientPort = ls.ClientAddr, ls.ClientPort
	}
	if ev.SessionID == "" {
		ev.SessionID, ev.SessionDerived = ls.SessionID, ls.Derived
	}
	return filled
}

// keep saves the state of pid's session as the last commit left it,
// before its first change in this batch.
func (s *sessions) keep(pid int) {
	if _, ok := s.undo[pid]; ok {
		return
	}
	if ls := s.open[pid]; ls != nil {
		c := *ls
		s.undo[pid] = &c
	} else {
		s.undo[pid] = nil
	}
}

// save writes the batch's changes of sessions.
func (s *sessions) save(b *store.LogBatch) error {
	for pid := range s.ended {
		if s.ended[pid] {
			if err := b.EndSession(pid); err != nil {
				return err
			}
		}
	}
	for pid := range s.dirty {
		if ls := s.open[pid]; s.dirty[pid] && ls != nil {
			if err := b.PutSession(*ls); err != nil {
				return err
			}
		}
	}
	return nil
}

// commit forgets the changes once stored.
func (s *sessions) commit() {
	clear(s.dirty)
	clear(s.ended)
	clear(s.undo)
}

// rollback restores the sessions as the last commit left them.
func (s *sessions) rollback() {
	for pid, ls := range s.undo {
		if ls == nil {
			delete(s.open, pid)
		} else {
			s.open[pid] = ls
		}
	}
	s.commit()
}
