package logtail

import (
	"context"
	"errors"
	"io"
)

// segments reads r, the content of a file from work's offset, and hands
// whole records to deliver. It reports whether a compressed file was read
// to its end. A read error ends the file, reported in fr.rep.
func (t *Tailer) segments(ctx context.Context, r io.Reader, work *Checkpoint, fr *fileRead,
	deliver func([]byte, bool) error) (complete bool, err error) {
	limit := t.opts.ChunkBytes
	maxBuf := t.opts.ChunkBytes + t.opts.MaxRecord
	if cap(t.buf) < limit {
		t.buf = make([]byte, 0, limit)
	}
	buf := t.buf[:0]
	defer func() {
		if cap(buf) > 2*t.opts.ChunkBytes {
			buf = nil // give back a buffer grown for one huge record
		}
		t.buf = buf[:0]
	}()
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if cap(buf) < limit {
			nb := make([]byte, len(buf), limit)
			copy(nb, buf)
			buf = nb
		}
		n, rerr := fill(r, buf[len(buf):limit])
		buf = buf[:len(buf)+n]
		atEOF := rerr != nil
		cleanEOF := errors.Is(rerr, io.EOF)
		truncated := fr.gz && errors.Is(rerr, io.ErrUnexpectedEOF)
		if atEOF && !cleanEOF && !truncated {
			return fr.readFailed(buf, work, rerr, deliver)
		}
		full := len(buf) >= maxBuf
		end := recordsEnd(work.Format, buf, atEOF, full)
		// The end of a compressed file is final; so is the end of any file
		// that has not changed for a while, a last line without newline
		// included.
		final := atEOF && (fr.gz && cleanEOF || fr.settled())
		switch {
		case final:
			end = len(buf)
			if truncated {
				*fr.rep = failed(*fr.rep, errors.New("compressed data ends early"))
			}
		case end == 0 && full:
			end = len(buf) // one record longer than MaxRecord: the parser skips it
		case end == 0 && !atEOF:
			limit = min(2*limit, maxBuf)
			continue
		}
		complete = final && fr.gz
		if end > 0 || complete {
			if err := deliver(buf[:end], complete); err != nil {
				return false, err
			}
			buf = buf[:copy(buf, buf[end:])]
		}
		if atEOF {
			fr.rep.Held = int64(len(buf))
			return complete, nil
		}
		limit = max(t.opts.ChunkBytes, min(2*len(buf), maxBuf))
	}
}

// readFailed ends a read that failed: damaged compressed data is taken as
// the end of the file, all of it delivered; after another read error only
// the whole records are, and the file is tried again next time.
func (fr *fileRead) readFailed(buf []byte, work *Checkpoint, rerr error,
	deliver func([]byte, bool) error) (bool, error) {
	*fr.rep = failed(*fr.rep, rerr)
	if fr.gz {
		return true, deliver(buf, true)
	}
	if end := recordsEnd(work.Format, buf, true, false); end > 0 {
		return false, deliver(buf[:end], false)
	}
	return false, nil
}

// fill reads into p until it is full or r fails; the error is nil only
// when p was filled.
func fill(r io.Reader, p []byte) (int, error) {
	n, empty := 0, 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			if empty++; empty > 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}
