// Package ingest reads the PostgreSQL logs of a source into ward's store:
// the logs are read from their checkpoints (package logtail), parsed and
// redacted (package pglog), and each segment's events, exposures and end
// checkpoint are stored in one transaction, so that an ingest killed at
// any moment and run again stores every event exactly once.
//
// Between the parser and the store ingest completes what a segment alone
// cannot say: line numbers counted from the start of the file, the user of
// a session whose connection lines an earlier run read (kept in the
// store), whether a session came through a connection pooler, and the
// event retention.
package ingest

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/config"
	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
	"github.com/wardsec/ward/internal/store"
)

// MaxRecord is the longest log record ingest reads whole; a longer one
// is skipped and counted. It bounds memory: about twice this much is used
// at worst.
const MaxRecord = 16 << 20

// Options configure a Run.
type Options struct {
	// Source is the source whose logs are read: its name, logs, log
	// format, log_line_prefix and poolers.
	Source config.Source
	// Paths, when set, are read instead of Source.Logs.
	Paths []string
	// Retention is how long events are kept: older ones are not stored,
	// and those already stored are deleted. Zero keeps everything.
	Retention time.Duration
	// ChunkBytes and Settle are passed to logtail (zero: its defaults).
	ChunkBytes int
	Settle     time.Duration
	// Progress, when set, is called after each stored segment with the
	// totals so far.
	Progress func(Stats)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Stats count what a Run read and stored.
type Stats struct {
	Source string
	// Files are the reports of the files and paths, in the order read.
	Files []logtail.FileReport
	// Bytes, Lines and Records count what was parsed.
	Bytes   int64
	Lines   int64
	Records int64
	// Events counts the events stored, Exposures the credentials found in
	// the logs and stored.
	Events    int64
	Exposures int64
	// Expired counts the events older than the retention, not stored;
	// Deleted the stored events the retention removed.
	Expired int64
	Deleted int64
	// Duplicates counts events found already stored: zero unless a log was
	// read again, as one edited in place, shortened or copied is from its
	// start when its records carry session IDs and line numbers (csvlog,
	// jsonlog, stderr with %c and %l). Such a log without them is left as
	// read, its report failed with logtail.ErrCannotReread.
	Duplicates int64
	// Untimed counts the events whose record had no readable time; they
	// are not stored, as no window or retention could place them.
	Untimed int64
	// Skipped counts unreadable lines or records, the first at
	// FirstSkipped; Repaired the records kept after replacing invalid
	// UTF-8.
	Skipped       int64
	FirstSkipped  inventory.Position
	Repaired      int64
	FirstRepaired inventory.Position
	// Filled counts the events whose user came from a session recorded by
	// an earlier run; ViaPooler those marked as coming through a pooler.
	Filled    int64
	ViaPooler int64
	// Current is the file being read, for progress.
	Current string
}

// Failed returns the reports of the files and paths that could not be
// read.
func (s *Stats) Failed() []logtail.FileReport {
	var out []logtail.FileReport
	for _, f := range s.Files {
		if f.Status == logtail.StatusFailed {
			out = append(out, f)
		}
	}
	return out
}

// Run reads the logs of opts.Source into st from where the last run
// stopped. Problems with single files are in Stats.Files; the error is for
// the store, a cancelled ctx or a configuration the parser refuses.
func Run(ctx context.Context, st *store.Store, opts Options) (Stats, error) {
	r, err := newRun(ctx, st, opts)
	if err != nil {
		return Stats{Source: opts.Source.Name}, err
	}
	return r.run(ctx)
}

// run is one Run.
type run struct {
	opts     Options
	st       *store.Store
	w        *store.LogWriter
	parser   *pglog.Parser
	tailer   *logtail.Tailer
	sessions *sessions
	poolers  poolers
	cutoff   time.Time
	// keys reports whether a log format names its records (recordKeys).
	keys func(pglog.Format) bool
	// latest is the time of the latest event read.
	latest time.Time
	stats  Stats
	// per segment
	batch *store.LogBatch
	seg   *logtail.Segment
	lines lineCounter
}

func newRun(ctx context.Context, st *store.Store, opts Options) (*run, error) {
	src := opts.Source
	if opts.Now == nil {
		opts.Now = time.Now
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = src.Logs
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("source %s: no logs to read: list them under the source's logs: "+
			"in ward.yaml or name them on the command line", src.Name)
	}
	format := pglog.Format(src.LogFormat)
	p, err := pglog.New(pglog.Options{Source: src.Name, Format: format, Prefix: src.LogLinePrefix,
		MaxRecord: MaxRecord})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	known, err := st.LogCheckpoints(ctx, src.Name)
	if err != nil {
		return nil, err
	}
	keys := recordKeys(src.LogLinePrefix)
	tl, err := logtail.New(logtail.Options{Paths: paths, Format: format, MaxRecord: MaxRecord,
		ChunkBytes: opts.ChunkBytes, Settle: opts.Settle, RecordKeys: keys}, known)
	if err != nil {
		return nil, err
	}
	open, err := st.LogSessions(ctx, src.Name)
	if err != nil {
		return nil, err
	}
	r := &run{opts: opts, st: st, w: st.LogWriter(src.Name), parser: p, tailer: tl,
		sessions: newSessions(open), poolers: newPoolers(src.Poolers),
		stats: Stats{Source: src.Name}, keys: keys}
	if opts.Retention > 0 {
		r.cutoff = opts.Now().Add(-opts.Retention)
	}
	return r, nil
}

func (r *run) run(ctx context.Context) (Stats, error) {
	files, err := r.tailer.Scan(ctx, r.segment)
	r.stats.Files = files
	if err != nil {
		return r.stats, err
	}
	if !r.latest.IsZero() {
		// Sessions silent for this long are not trusted to name a user;
		// keep them a while longer in case older logs come late.
		before := r.latest.Add(-7 * sessionIdle)
		if err := r.st.PruneLogSessions(ctx, r.opts.Source.Name, before); err != nil {
			return r.stats, err
		}
	}
	if !r.cutoff.IsZero() {
		n, err := r.st.DeleteEventsBefore(ctx, r.opts.Source.Name, r.cutoff)
		if err != nil {
			return r.stats, err
		}
		r.stats.Deleted = n
	}
	return r.stats, nil
}

// segment parses one segment and stores what it yields with its end
// checkpoint, in one transaction.
func (r *run) segment(ctx context.Context, seg *logtail.Segment) (err error) {
	r.w.SetRecordKeys(r.keys(seg.Format))
	b, err := r.w.Begin(ctx, seg)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			b.Rollback()
			r.sessions.rollback()
		}
	}()
	r.batch, r.seg = b, seg
	r.lines.reset(seg.Data, seg.Start.Line)
	r.stats.Current = seg.Path

	ps, err := r.parser.Parse(ctx, bytes.NewReader(seg.Data), seg.Path, pglog.Sink{
		Event: r.event, Exposure: r.exposure})
	if err != nil {
		return err
	}
	if err := r.sessions.save(b); err != nil {
		return err
	}
	bs, err := b.Commit()
	if err != nil {
		return err
	}
	r.sessions.commit()
	r.count(ps, bs)
	if r.opts.Progress != nil {
		r.opts.Progress(r.stats)
	}
	return nil
}

// event completes one parsed event and adds it to the batch.
func (r *run) event(ev inventory.Event) error {
	ev.Pos = r.position(ev.Pos)
	if ev.Time.IsZero() {
		r.stats.Untimed++
		return nil
	}
	if ev.Time.After(r.latest) {
		r.latest = ev.Time
	}
	if r.sessions.observe(&ev) {
		r.stats.Filled++
	}
	if r.poolers.via(ev.ClientAddr, ev.Application) {
		ev.ViaPooler = true
		r.stats.ViaPooler++
	}
	if !r.cutoff.IsZero() && ev.Time.Before(r.cutoff) {
		r.stats.Expired++
		return nil
	}
	return r.batch.AddEvent(&ev)
}

// exposure adds one exposed credential to the batch, whatever its age.
func (r *run) exposure(x inventory.Exposure) error {
	x.Pos = r.position(x.Pos)
	return r.batch.AddExposure(&x)
}

// position turns a position in the segment into one in the file.
func (r *run) position(p inventory.Position) inventory.Position {
	p.Offset += r.seg.Start.Offset
	p.Line = r.lines.at(p.Offset - r.seg.Start.Offset)
	return p
}

// recordKeys returns whether the logs of a format name each of their
// records, by session ID and line number in the session, so that a record
// read twice is stored once (see store.LogWriter.SetRecordKeys): csvlog
// and jsonlog always do, stderr when prefix (the source's
// log_line_prefix as configured) has both %c and %l. A stderr log whose
// prefix is not configured is taken not to.
func recordKeys(prefix string) func(pglog.Format) bool {
	var session, line bool
	for i := 0; i+1 < len(prefix); i++ {
		if prefix[i] != '%' {
			continue
		}
		i++
		switch prefix[i] {
		case 'c':
			session = true
		case 'l':
			line = true
		}
	}
	stderr := session && line
	return func(f pglog.Format) bool {
		return f == pglog.FormatCSV || f == pglog.FormatJSON || f == pglog.FormatStderr && stderr
	}
}

// count adds the parse and store statistics of a segment to the totals.
func (r *run) count(ps pglog.Stats, bs store.BatchStats) {
	s := &r.stats
	s.Bytes += ps.Bytes
	s.Lines += ps.Lines
	s.Records += ps.Records
	s.Events += bs.Events
	s.Duplicates += bs.Duplicates
	s.Exposures += bs.Exposures
	if ps.Skipped > 0 && s.Skipped == 0 {
		s.FirstSkipped = r.position(ps.FirstSkipped)
	}
	s.Skipped += ps.Skipped
	if ps.Repaired > 0 && s.Repaired == 0 {
		s.FirstRepaired = r.position(ps.FirstRepaired)
	}
	s.Repaired += ps.Repaired
}

// lineCounter gives the line number of an offset in a segment, counting
// the newlines before it. Events come in offset order but for the few the
// parser holds back, so counting on from the last offset asked is cheap.
type lineCounter struct {
	data      []byte
	base      int64
	off, line int64
}

func (lc *lineCounter) reset(data []byte, linesBefore int64) {
	*lc = lineCounter{data: data, base: linesBefore + 1}
}

// at returns the 1-based line in the file of offset off of the segment.
func (lc *lineCounter) at(off int64) int64 {
	off = min(max(off, 0), int64(len(lc.data)))
	if off < lc.off {
		lc.off, lc.line = 0, 0
	}
	lc.line += int64(bytes.Count(lc.data[lc.off:off], []byte{'\n'}))
	lc.off = off
	return lc.base + lc.line
}
