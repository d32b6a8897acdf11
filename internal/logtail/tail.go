package logtail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/internal/pglog"
)

// Defaults of Options.
const (
	DefaultChunkBytes = 8 << 20
	DefaultSettle     = time.Minute
	DefaultPoll       = 250 * time.Millisecond
)

// Options configure a Tailer. Paths is required; the rest has defaults.
type Options struct {
	// Paths are files, directories (their *.log, *.csv, *.json files, with
	// rotation suffixes and .gz) and glob patterns.
	Paths []string
	// Format forces the log format; empty detects it per file from its
	// first bytes.
	Format pglog.Format
	// HeadBytes is how much of a file's start its identity hashes
	// (DefaultHeadBytes).
	HeadBytes int
	// ChunkBytes is the content read at a time (DefaultChunkBytes); a
	// segment holds at most about this much, unless one record is longer.
	ChunkBytes int
	// MaxRecord bounds the longest record kept whole
	// (pglog.DefaultMaxRecord); past it a segment is cut anyway and the
	// parser skips the record. Memory use is about ChunkBytes + MaxRecord.
	MaxRecord int
	// Settle is how long a file must stay unchanged before a last line
	// without its newline is read as it is (DefaultSettle).
	Settle time.Duration
	// Poll is how often Follow looks at the files (DefaultPoll).
	Poll time.Duration
	// RecordKeys, when set, reports whether the consumer stores each
	// record of a log in the given format once however often it is
	// delivered (by session and line number, say). A file whose content
	// changed before its checkpoint (edited in place, shortened) or a copy
	// that differs from the file read beyond their common start is then
	// read again from its start. Otherwise such a file is reported as
	// failed with ErrCannotReread and its checkpoint kept, and such a copy
	// is skipped.
	RecordKeys func(pglog.Format) bool
	// Report, when set, receives a FileReport for each file that had
	// something new or a problem, and for each path problem.
	Report func(FileReport)
}

func (o *Options) setDefaults() {
	if o.HeadBytes <= 0 {
		o.HeadBytes = DefaultHeadBytes
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = DefaultChunkBytes
	}
	if o.MaxRecord <= 0 {
		o.MaxRecord = pglog.DefaultMaxRecord
	}
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
}

// ErrCannotReread is the error of a file whose content changed before its
// checkpoint, which cannot be read again from its start because the
// consumer could not tell the records it already stored (see
// Options.RecordKeys). The file is left as read.
var ErrCannotReread = errors.New("cannot tell duplicates: re-reading skipped")

// Segment is whole log records of one file, with the checkpoints before
// and after them.
type Segment struct {
	// Path is the file the records were read from.
	Path   string
	Format pglog.Format
	// Start is the checkpoint where Data begins; Start.ID is 0 for a file
	// never saved before.
	Start Checkpoint
	// Data is the content, decompressed; it is valid only until the
	// callback returns. It is empty when only the checkpoint changed (a
	// compressed copy found to hold nothing new, for example).
	Data []byte
	// End is the checkpoint after Data. The callback stores it together
	// with what it derived from Data, and sets End.ID to the key it was
	// stored under when End.ID is 0.
	End Checkpoint
}

// Func receives each segment. An error stops the Tailer and is returned;
// the segment is then not counted as read.
type Func func(ctx context.Context, seg *Segment) error

// Status says what a Tailer made of one file.
type Status string

// The statuses of a file.
const (
	// StatusNew is a file never read before.
	StatusNew Status = "new"
	// StatusResumed is a file read further from its checkpoint.
	StatusResumed Status = "resumed"
	// StatusCopy is a renamed, rotated, copied or compressed copy of a
	// file read before; only what it holds beyond the checkpoint is read.
	StatusCopy Status = "copy"
	// StatusRewritten is a file truncated and written again in place, or
	// whose content changed before its checkpoint (Options.RecordKeys); it
	// is read from its start as a new file.
	StatusRewritten Status = "rewritten"
	// StatusUnchanged is a file with nothing new.
	StatusUnchanged Status = "unchanged"
	// StatusOtherFormat is a file skipped because the same log is read in
	// a richer format (Other names it).
	StatusOtherFormat Status = "other_format"
	// StatusFailed is a path or file that could not be read (Err says why).
	StatusFailed Status = "failed"
)

// FileReport is what happened to one file, or one path, in a Scan or one
// round of Follow.
type FileReport struct {
	Path   string
	Status Status
	// Bytes is the content delivered; Held the bytes at its end held back
	// as a record still being written.
	Bytes int64
	Held  int64
	// Other is the file read instead, for StatusOtherFormat.
	Other string
	Err   error
}

// Tailer reads the log files of one source. It is not safe for
// concurrent use.
type Tailer struct {
	opts  Options
	known *knownFiles
	buf   []byte
	// reported remembers the path problems already reported by Follow.
	reported map[string]bool
}

// New returns a Tailer for opts that continues from the checkpoints of
// earlier runs, as stored (each with its ID).
func New(opts Options, known []Checkpoint) (*Tailer, error) {
	if len(opts.Paths) == 0 {
		return nil, errors.New("logtail: no log paths given")
	}
	opts.setDefaults()
	return &Tailer{opts: opts, known: newKnownFiles(known), reported: map[string]bool{}}, nil
}

// Scan reads what the files hold now, oldest first, and returns what
// happened to each. Problems with single files are reported, not returned:
// the error is for a cancelled ctx or an error from fn.
func (t *Tailer) Scan(ctx context.Context, fn Func) ([]FileReport, error) {
	var reports []FileReport
	err := t.round(ctx, fn, func(r FileReport) {
		reports = append(reports, r)
		if t.opts.Report != nil {
			t.opts.Report(r)
		}
	})
	return reports, err
}

// Follow reads the files as Scan does, then keeps reading what is
// appended and the files that appear, every Options.Poll, until ctx is
// done; it then returns nil, every segment delivered having been stored by
// fn. Other errors come from fn. Reports go to Options.Report, a path
// problem only the first time it is seen.
func (t *Tailer) Follow(ctx context.Context, fn Func) error {
	tick := time.NewTicker(t.opts.Poll)
	defer tick.Stop()
	for {
		err := t.round(ctx, fn, t.followReport)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// followReport passes on a report of Follow, leaving out unchanged files
// and problems already reported.
func (t *Tailer) followReport(r FileReport) {
	if r.Status == StatusUnchanged || t.opts.Report == nil {
		return
	}
	if r.Status == StatusFailed || r.Status == StatusOtherFormat {
		key := fmt.Sprint(r.Path, r.Status, r.Err)
		if t.reported[key] {
			return
		}
		t.reported[key] = true
	}
	t.opts.Report(r)
}

// round lists the files once and reads each.
func (t *Tailer) round(ctx context.Context, fn Func, report func(FileReport)) error {
	files, skipped, problems := expand(t.opts.Paths)
	for _, p := range problems {
		report(FileReport{Path: p.path, Status: StatusFailed, Err: p.err})
	}
	for _, s := range skipped {
		report(FileReport{Path: s.path, Status: StatusOtherFormat, Other: s.other})
	}
	for _, st := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := t.visit(ctx, st, fn)
		if err != nil {
			return err
		}
		report(r)
	}
	return nil
}
