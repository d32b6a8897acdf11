package logtail

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wardsec/ward/internal/pglog"
)

// visit reads what is new in one listed file.
func (t *Tailer) visit(ctx context.Context, st fileStat, fn Func) (FileReport, error) {
	rep := FileReport{Path: st.path}
	known := t.known.byInode(st.dev, st.ino)
	if known != nil && known.unchanged(st) {
		rep.Status = StatusUnchanged
		return rep, nil
	}
	f, err := os.Open(st.path)
	if err != nil {
		return failed(rep, unwrapPath(err)), nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return failed(rep, unwrapPath(err)), nil
	}
	st = statOf(st.path, fi)
	head, gz, err := readHead(f, t.opts.HeadBytes)
	if err != nil {
		return failed(rep, err), nil
	}

	cp, status := t.identify(st, head)
	if cp == nil {
		if len(head) == 0 {
			rep.Status = StatusUnchanged // empty: nothing to know it by yet
			return rep, nil
		}
		cp = &Checkpoint{Format: t.opts.Format}
		if cp.Format == pglog.FormatAuto {
			cp.Format = pglog.DetectFormat(head)
		}
		if cp.Format == pglog.FormatAuto {
			cp.Format = pglog.FormatStderr
		}
	}
	rep.Status = status
	var tail []byte
	if cp.ID != 0 && cp.Offset > 0 {
		var v tailVerdict
		tail, v, err = t.checkTail(f, gz, st, cp)
		if err != nil {
			return failed(rep, err), nil
		}
		if v != tailSame {
			reread := t.opts.RecordKeys != nil && t.opts.RecordKeys(cp.Format)
			switch {
			case reread:
				// Read it all again: the consumer drops what it already has.
				cp, tail = &Checkpoint{Format: cp.Format}, nil
				rep.Status = StatusNew
				if status == StatusResumed {
					rep.Status = StatusRewritten
				}
			case status == StatusResumed:
				return failed(rep, changedError(st, gz, cp, v)), nil
			case v == tailShort:
				rep.Status = StatusUnchanged // an older, shorter copy
				return rep, nil
			default:
				// Another log that starts like one read: its start is
				// stored, the rest could only be read with it.
				return failed(rep, fmt.Errorf("starts like %s but differs before the %d "+
					"bytes read of it: %w", cp.Path, cp.Offset, ErrCannotReread)), nil
			}
		}
	}

	fr := fileRead{t: t, st: st, head: head, gz: gz, rep: &rep, tail: tail}
	if err := fr.read(ctx, f, cp, fn); err != nil {
		return rep, err
	}
	if rep.Bytes == 0 && rep.Status == StatusResumed ||
		rep.Bytes == 0 && rep.Status == StatusCopy && !gz {
		// A compressed copy is reported once, when it takes over its
		// checkpoint; a plain copy with nothing new is just unchanged.
		rep.Status = StatusUnchanged
	}
	return rep, nil
}

// tailVerdict is what checkTail found before a checkpoint's offset.
type tailVerdict int

const (
	// tailSame: the content read up to the checkpoint is still there.
	tailSame tailVerdict = iota
	// tailShort: the content is shorter than the checkpoint's offset.
	tailShort
	// tailDiffers: the bytes before the offset are not those read.
	tailDiffers
)

// changedError says why a file whose content changed before cp is left
// as read.
func changedError(st fileStat, gz bool, cp *Checkpoint, v tailVerdict) error {
	if v == tailShort && !gz {
		return fmt.Errorf("shrank to %d bytes, below the %d already read; left as read: %w",
			st.size, cp.Offset, ErrCannotReread)
	}
	return fmt.Errorf("content changed before the %d bytes already read; left as read: %w",
		cp.Offset, ErrCannotReread)
}

// checkTail reads the content just before cp's offset and reports whether
// it is what cp last read there: the file holds at least cp.Offset bytes
// and, when cp knows its tail, the bytes before the offset hash to it. It
// also returns those bytes (up to Options.HeadBytes), the start of the
// tail of the checkpoints to come.
func (t *Tailer) checkTail(f *os.File, gz bool, st fileStat, cp *Checkpoint) ([]byte,
	tailVerdict, error) {
	n := cp.TailLen
	if n <= 0 || n > cp.Offset {
		n = min(cp.Offset, int64(t.opts.HeadBytes))
	}
	from := cp.Offset - n
	buf := make([]byte, n)
	var m int
	var err error
	if gz {
		zr, zerr := gzip.NewReader(io.NewSectionReader(f, 0, 1<<62))
		if zerr != nil {
			return nil, tailShort, fmt.Errorf("damaged gzip header: %w", zerr)
		}
		defer zr.Close()
		if k, cerr := io.CopyN(io.Discard, zr, from); k < from {
			return nil, tailShort, corruptOrNil(cerr)
		}
		m, err = io.ReadFull(zr, buf)
	} else {
		if st.size < cp.Offset {
			return nil, tailShort, nil
		}
		m, err = f.ReadAt(buf, from)
	}
	if m < len(buf) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = nil
		}
		return nil, tailShort, corruptOrNil(err)
	}
	if cp.TailLen > 0 && cp.TailLen == n && sha256.Sum256(buf) != cp.Tail {
		return nil, tailDiffers, nil
	}
	return buf, tailSame, nil
}

// corruptOrNil returns err unless it says that compressed data is
// damaged or ends early, which only means the content is shorter.
func corruptOrNil(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		isCorrupt(err) {
		return nil
	}
	return err
}

func failed(rep FileReport, err error) FileReport {
	rep.Status, rep.Err = StatusFailed, err
	return rep
}

// identify finds the checkpoint of a file: by inode when its first bytes
// are still those hashed, else by its first bytes alone (a copy). It
// returns nil for a file not read before, with StatusNew or, when its
// inode was known with other content, StatusRewritten.
func (t *Tailer) identify(st fileStat, head []byte) (*Checkpoint, Status) {
	status := StatusNew
	if cp := t.known.byInode(st.dev, st.ino); cp != nil {
		if headMatches(cp, head) {
			return cp, StatusResumed
		}
		status = StatusRewritten
	}
	if len(head) == 0 {
		return nil, status
	}
	if cp := t.known.matchHead(head); cp != nil {
		return cp, StatusCopy
	}
	return nil, status
}

// readHead returns the first n bytes of a file's content, decompressed
// when the file is gzip compressed, which gz reports.
func readHead(f *os.File, n int) (head []byte, gz bool, err error) {
	var magic [2]byte
	if m, _ := f.ReadAt(magic[:], 0); m == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(io.NewSectionReader(f, 0, 1<<62))
		if err != nil {
			return nil, true, fmt.Errorf("damaged gzip header: %w", err)
		}
		head = make([]byte, n)
		m, err := io.ReadFull(zr, head)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
			!isCorrupt(err) {
			return nil, true, err
		}
		return head[:m], true, nil
	}
	head = make([]byte, n)
	m, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	return head[:m], false, nil
}

// isCorrupt reports whether err comes from damaged compressed data.
func isCorrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)
}

// fileRead is one read of one file.
type fileRead struct {
	t    *Tailer
	st   fileStat
	head []byte
	gz   bool
	rep  *FileReport
	// tail is the content just before the checkpoint being advanced, at
	// most Options.HeadBytes of it.
	tail []byte
}

// read delivers the content of f from cp's offset in segments.
func (fr *fileRead) read(ctx context.Context, f *os.File, cp *Checkpoint, fn Func) error {
	work := *cp
	var r io.Reader = f
	if fr.gz {
		zr, err := gzip.NewReader(io.NewSectionReader(f, 0, 1<<62))
		if err != nil {
			*fr.rep = failed(*fr.rep, fmt.Errorf("damaged gzip header: %w", err))
			return nil
		}
		defer zr.Close()
		skipped, err := io.CopyN(io.Discard, zr, work.Offset)
		if skipped < work.Offset {
			// A copy shorter than what was read: nothing new in it.
			if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				*fr.rep = failed(*fr.rep, err)
			} else {
				fr.rep.Status = StatusUnchanged
			}
			return nil
		}
		r = zr
	} else if _, err := f.Seek(work.Offset, io.SeekStart); err != nil {
		*fr.rep = failed(*fr.rep, err)
		return nil
	}

	delivered := false
	deliver := func(data []byte, complete bool) error {
		seg := Segment{Path: fr.st.path, Format: work.Format, Start: work, Data: data}
		seg.End = work
		seg.End.Offset += int64(len(data))
		seg.End.Line += int64(bytes.Count(data, []byte{'\n'}))
		fr.own(&seg.End, complete)
		fr.advanceTail(&seg.End, data)
		if err := fn(ctx, &seg); err != nil {
			return err
		}
		work = seg.End
		fr.t.known.update(cp, work)
		fr.rep.Bytes += int64(len(data))
		delivered = true
		return nil
	}
	// A compressed file read to its end is always delivered, even with no
	// new content: it becomes the identity of its checkpoint, complete, so
	// later rounds skip it unopened.
	if _, err := fr.t.segments(ctx, r, &work, fr, deliver); err != nil {
		return err
	}
	if !delivered && fr.t.known.in[cp] && cp.Device == fr.st.dev && cp.Inode == fr.st.ino {
		// Nothing new (or only a line still being written): remember the
		// size and time seen, to skip the file unopened until it changes.
		cp.Size, cp.ModTime = fr.st.size, fr.st.mtime
	}
	return nil
}

// own makes cp name the file being read, with its head as far as known.
func (fr *fileRead) own(cp *Checkpoint, complete bool) {
	cp.Path, cp.Device, cp.Inode = fr.st.path, fr.st.dev, fr.st.ino
	cp.Size, cp.ModTime = fr.st.size, fr.st.mtime
	cp.Compressed, cp.Complete = fr.gz, complete
	if n := int64(len(fr.head)); n > cp.HeadLen {
		cp.Head, cp.HeadLen = sha256.Sum256(fr.head), n
	}
}

// advanceTail adds data to the content before the checkpoint and sets
// cp's tail from it.
func (fr *fileRead) advanceTail(cp *Checkpoint, data []byte) {
	h := fr.t.opts.HeadBytes
	if len(data) >= h {
		fr.tail = append(fr.tail[:0], data[len(data)-h:]...)
	} else {
		fr.tail = append(fr.tail, data...)
		if k := len(fr.tail) - h; k > 0 {
			fr.tail = fr.tail[:copy(fr.tail, fr.tail[k:])]
		}
	}
	cp.TailLen = int64(len(fr.tail))
	cp.Tail = sha256.Sum256(fr.tail)
	if cp.TailLen == 0 {
		cp.Tail = Head{}
	}
}

// settled reports whether the file has not changed for the settle time.
func (fr *fileRead) settled() bool {
	return time.Since(fr.st.mtime) >= fr.t.opts.Settle
}
