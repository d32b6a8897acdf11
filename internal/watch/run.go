package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/wardsec/ward/internal/inventory"
	"github.com/wardsec/ward/internal/logtail"
	"github.com/wardsec/ward/internal/pglog"
)

// Defaults of RunOptions.
const (
	DefaultSaveEvery = 10 * time.Second
	DefaultPoll      = 100 * time.Millisecond
)

// LogSource names the logs of one configured source.
type LogSource struct {
	Name string
	// Paths are files, directories or globs (see package logtail).
	Paths []string
	// Format forces the log format; empty detects it per file.
	Format pglog.Format
	// Prefix is the stderr log_line_prefix; empty means inferred.
	Prefix string
}

// RunOptions configure Run.
type RunOptions struct {
	Sources []LogSource
	// StatePath is the state file (see StatePath); it is created when
	// missing.
	StatePath string
	// FromStart analyses what the logs already hold when a source has no
	// saved checkpoints, so the baseline learns from history. By default
	// that content is skipped: it is read once, unparsed, to record where
	// it ends, and only what is written afterwards is analysed.
	FromStart bool
	// Engine wires the detectors; its Baseline is replaced by the saved
	// one.
	Engine EngineOptions
	// SaveEvery is how often the state is saved (default 10 s); it is
	// always saved at the end.
	SaveEvery time.Duration
	// Poll is how often the logs are looked at (default 100 ms).
	Poll time.Duration
	// Settle is how long a last line without its newline waits before it
	// is read as it is (see logtail.Options).
	Settle time.Duration
	// Log receives operational messages; nil discards them.
	Log *slog.Logger
	// Following, when set, is told when a source's logs start being
	// followed, and from where.
	Following func(source string, from FollowStart)
}

// FollowStart says where the following of a source's logs started.
type FollowStart struct {
	// Resumed is true when saved checkpoints were continued.
	Resumed bool
	// Skipped is the content already in the logs that was skipped, on a
	// first run without FromStart.
	Skipped int64
}

// SourceStats count what was read from one source's logs.
type SourceStats struct {
	Bytes   int64 `json:"bytes"`
	Records int64 `json:"records"`
	Events  int64 `json:"events"`
	// Skipped counts unreadable lines or records; FirstSkipped is where
	// the first one was.
	Skipped      int64              `json:"skipped"`
	FirstSkipped inventory.Position `json:"first_skipped,omitzero"`
	// SkippedAtStart is the content already in the logs at the first run
	// that was not analysed (without FromStart).
	SkippedAtStart int64 `json:"skipped_at_start"`
}

// Summary is what a run did.
type Summary struct {
	Engine  EngineStats            `json:"engine"`
	Sources map[string]SourceStats `json:"sources"`
}

// Run follows the logs of o.Sources, runs the detectors over their events
// and sends alerts to o.Engine.Sink, until ctx ends. It then closes the
// open alert groups, saves the state and returns nil: a cancelled
// context is a clean shutdown. Run does not close the sink.
//
// Each segment of log records is parsed and detected on, and its end
// checkpoint recorded, under one lock; the state saved (every SaveEvery
// and at the end) takes the baseline and the checkpoints under the same
// lock, so after a crash the next run resumes exactly after the last
// segment the saved baseline has seen.
func Run(ctx context.Context, o RunOptions) (Summary, error) {
	if o.SaveEvery <= 0 {
		o.SaveEvery = DefaultSaveEvery
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if len(o.Sources) == 0 {
		return Summary{}, errors.New("no source has logs to follow")
	}
	st, err := LoadState(o.StatePath)
	if err != nil {
		return Summary{}, err
	}
	eo := o.Engine
	eo.Baseline = st.Baseline
	r := &runner{opts: o, eng: NewEngine(eo), nextID: st.maxID()}
	r.eng.restoreGroups(st.Groups)
	for _, src := range o.Sources {
		s, err := r.newSource(src, st.Checkpoints[src.Name])
		if err != nil {
			return Summary{}, err
		}
		r.sources = append(r.sources, s)
	}
	err = r.run(ctx)
	return r.summary(), err
}

// runner is one Run.
type runner struct {
	opts RunOptions
	// mu serialises the engine, the checkpoints and the parsers.
	mu      sync.Mutex
	eng     *Engine
	sources []*source
	nextID  int64
}

// source is the state of one source's logs.
type source struct {
	LogSource
	tailer *logtail.Tailer
	// skipStart is set when the content at start is skipped, skipped once
	// that is done; resumed when saved checkpoints are continued.
	skipStart, skipped, resumed bool
	// parsers are kept per format, so that sessions are joined across
	// the rotated files of one log.
	parsers map[pglog.Format]*pglog.Parser
	// checkpoints maps a checkpoint ID to the latest End seen.
	checkpoints map[int64]logtail.Checkpoint
	stats       SourceStats
}

func (r *runner) newSource(src LogSource, known []logtail.Checkpoint) (*source, error) {
	if len(src.Paths) == 0 {
		return nil, fmt.Errorf("source %s: no logs to follow: list them under the "+
			"source's logs: in ward.yaml", src.Name)
	}
	if src.Prefix != "" {
		if _, err := pglog.New(pglog.Options{Prefix: src.Prefix}); err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
	}
	o := r.opts
	s := &source{LogSource: src, parsers: map[pglog.Format]*pglog.Parser{},
		checkpoints: map[int64]logtail.Checkpoint{}, skipStart: len(known) == 0 && !o.FromStart,
		resumed: len(known) > 0}
	for _, cp := range known {
		s.checkpoints[cp.ID] = cp
	}
	log := o.Log.With("source", src.Name)
	tl, err := logtail.New(logtail.Options{Paths: src.Paths, Format: src.Format, Poll: o.Poll,
		Settle: o.Settle, Report: func(fr logtail.FileReport) { report(log, fr) }}, known)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	s.tailer = tl
	return s, nil
}

// report logs what the tailer made of a file.
func report(log *slog.Logger, fr logtail.FileReport) {
	switch fr.Status {
	case logtail.StatusFailed:
		log.Warn("cannot read log", "path", fr.Path, "err", fr.Err)
	case logtail.StatusRewritten:
		log.Info("log rewritten in place, read again from its start", "path", fr.Path)
	case logtail.StatusOtherFormat:
		log.Debug("log skipped for the same log in another format", "path", fr.Path,
			"read", fr.Other)
	default:
		log.Debug("log read", "path", fr.Path, "status", string(fr.Status),
			"bytes", fr.Bytes, "held", fr.Held)
	}
}

func (r *runner) run(ctx context.Context) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(r.sources))
	for _, s := range r.sources {
		go func() { errc <- r.follow(fctx, s) }()
	}

	var errs []error
	running := len(r.sources)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	saveTick := time.NewTicker(r.opts.SaveEvery)
	defer saveTick.Stop()
	for running > 0 {
		select {
		case err := <-errc:
			running--
			if err != nil {
				errs = append(errs, err)
				cancel()
			}
		case <-tick.C:
			r.mu.Lock()
			r.eng.Tick()
			r.mu.Unlock()
		case <-saveTick.C:
			if err := r.save(); err != nil {
				r.opts.Log.Error("saving the watch state failed", "err", err)
			}
		}
	}

	if err := r.save(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// follow skips the content at start when asked, then follows the logs.
func (r *runner) follow(ctx context.Context, s *source) error {
	if s.skipStart {
		_, err := s.tailer.Scan(ctx, func(_ context.Context, seg *logtail.Segment) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			s.stats.SkippedAtStart += int64(len(seg.Data))
			r.record(s, seg)
			return nil
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		r.mu.Lock()
		s.skipped = true
		r.mu.Unlock()
	}
	if r.opts.Following != nil {
		r.mu.Lock()
		from := FollowStart{Resumed: s.resumed, Skipped: s.stats.SkippedAtStart}
		r.mu.Unlock()
		r.opts.Following(s.Name, from)
	}
	if err := s.tailer.Follow(ctx, func(_ context.Context, seg *logtail.Segment) error {
		return r.segment(s, seg)
	}); err != nil {
		return fmt.Errorf("source %s: %w", s.Name, err)
	}
	return nil
}

// record keeps a segment's end checkpoint. The caller holds mu.
func (r *runner) record(s *source, seg *logtail.Segment) {
	if seg.End.ID == 0 {
		r.nextID++
		seg.End.ID = r.nextID
	}
	s.checkpoints[seg.End.ID] = seg.End
}

// segment parses one segment and runs the detectors over its events. It
// finishes a segment it has started even when the context ends, so that
// the checkpoint and the baseline stay in step.
func (r *runner) segment(s *source, seg *logtail.Segment) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, err := r.parser(s, seg.Format)
	if err != nil {
		return err
	}
	start := seg.Start
	st, err := p.Parse(context.Background(), bytes.NewReader(seg.Data), seg.Path, pglog.Sink{
		Event: func(ev inventory.Event) error {
			ev.Source = s.Name
			ev.Pos.File = seg.Path
			ev.Pos.Offset += start.Offset
			ev.Pos.Line += start.Line
			r.eng.Handle(ev)
			return nil
		}})
	if err != nil {
		return fmt.Errorf("parse %s: %w", seg.Path, err)
	}
	s.stats.Bytes += st.Bytes
	s.stats.Records += st.Records
	s.stats.Events += st.Events
	if st.Skipped > 0 && s.stats.Skipped == 0 {
		s.stats.FirstSkipped = inventory.Position{File: seg.Path,
			Offset: start.Offset + st.FirstSkipped.Offset,
			Line:   start.Line + st.FirstSkipped.Line}
	}
	s.stats.Skipped += st.Skipped
	r.record(s, seg)
	return nil
}

// parser returns the source's parser for a format. The caller holds mu.
func (r *runner) parser(s *source, f pglog.Format) (*pglog.Parser, error) {
	if p := s.parsers[f]; p != nil {
		return p, nil
	}
	p, err := pglog.New(pglog.Options{Source: s.Name, Format: f, Prefix: s.Prefix})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	s.parsers[f] = p
	return p, nil
}

// save writes the baseline, the open alert groups and the checkpoints,
// taken together under mu.
//
// TODO(#4): forget the checkpoints of files long gone; they are kept so
// that a late compressed copy of a rotated file is recognised, and grow by
// one per rotated file.
func (r *runner) save() error {
	r.mu.Lock()
	snap := State{SavedAt: time.Now().UTC(), Baseline: r.eng.Baseline(),
		Groups: r.eng.openGroups(), Checkpoints: map[string][]logtail.Checkpoint{}}
	for _, s := range r.sources {
		if s.skipStart && !s.skipped {
			// Stopped while skipping: the next run skips again, rather
			// than take the files not reached yet for new ones.
			continue
		}
		cps := make([]logtail.Checkpoint, 0, len(s.checkpoints))
		for _, cp := range s.checkpoints {
			cps = append(cps, cp)
		}
		snap.Checkpoints[s.Name] = cps
	}
	data, err := snap.encode()
	r.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode watch state: %w", err)
	}
	return writeState(r.opts.StatePath, data)
}

func (r *runner) summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := Summary{Engine: r.eng.Stats(), Sources: map[string]SourceStats{}}
	for _, s := range r.sources {
		sum.Sources[s.Name] = s.stats
	}
	return sum
}
