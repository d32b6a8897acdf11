package pglog

import (
	"bytes"
	"errors"
	"io"
)

// reader buffers a stream for the record scanners, tracking the byte offset
// and line number of the unread data. A scanner looks at data(), asks for
// more() when a record is incomplete, and consume()s what it used.
type reader struct {
	src  io.Reader
	buf  []byte
	r, w int
	// off and line locate buf[r] in the stream; line is 1-based.
	off  int64
	line int64
	eof  bool
	// err is a read error other than io.EOF.
	err error
	// max is the longest record kept; longer ones are skipped.
	max int
	// lines counts the newlines consumed.
	lines int64
}

const readChunk = 256 << 10

func newReader(src io.Reader, max int) *reader {
	return &reader{src: src, buf: make([]byte, readChunk), line: 1, max: max}
}

func (rd *reader) data() []byte { return rd.buf[rd.r:rd.w] }

// full reports whether the unread data has reached the record cap.
func (rd *reader) full() bool { return rd.w-rd.r >= rd.max }

// more reads more data and reports whether any arrived. Small records
// cost one Read; once the unread data is large it reads until it has grown
// by a quarter, so a huge record is not rescanned for every small Read.
func (rd *reader) more() bool {
	if rd.eof || rd.err != nil {
		return false
	}
	pending := rd.w - rd.r
	if rd.r > 0 {
		copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.w -= rd.r
		rd.r = 0
	}
	want := 1
	if pending > readChunk {
		want = pending / 4
	}
	got, empty := 0, 0
	for got < want {
		if rd.w == len(rd.buf) {
			if len(rd.buf) >= rd.max+readChunk {
				return got > 0
			}
			rd.grow()
		}
		n, err := rd.src.Read(rd.buf[rd.w:])
		rd.w += n
		got += n
		if n == 0 && err == nil {
			if empty++; empty >= 100 {
				err = io.ErrNoProgress
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				rd.eof = true
			} else {
				rd.err = err
			}
			return got > 0
		}
	}
	return true
}

// grow doubles the buffer (up to the record cap). While the old buffer is
// copied, both are live: a huge record briefly costs about three times
// its size, the earlier, smaller buffers being garbage by then.
func (rd *reader) grow() {
	nb := make([]byte, min(2*len(rd.buf), rd.max+readChunk))
	copy(nb, rd.buf[:rd.w])
	rd.buf = nb
}

// consume marks n bytes as read.
func (rd *reader) consume(n int) {
	rd.consumeLines(n, int64(bytes.Count(rd.buf[rd.r:rd.r+n], []byte{'\n'})))
}

// consumeLines marks n bytes holding nl line ends as read. A parser that
// rewrote the bytes in place (JSON unescaping \n into newlines) says how
// many lines there were instead of letting them be counted.
func (rd *reader) consumeLines(n int, nl int64) {
	rd.r += n
	rd.off += int64(n)
	rd.line += nl
	rd.lines += nl
	if rd.r == rd.w {
		rd.r, rd.w = 0, 0
	}
	rd.shrink()
}

// shrink gives back a buffer grown for one huge record.
func (rd *reader) shrink() {
	if len(rd.buf) > 4*readChunk && rd.w-rd.r < readChunk {
		nb := make([]byte, readChunk)
		rd.w = copy(nb, rd.buf[rd.r:rd.w])
		rd.r = 0
		rd.buf = nb
	}
}

// skipLine discards data up to and including the next newline, reading as
// needed, without keeping the line. It reports whether anything was
// discarded.
func (rd *reader) skipLine() bool {
	skipped := false
	for {
		d := rd.data()
		if i := bytes.IndexByte(d, '\n'); i >= 0 {
			rd.consume(i + 1)
			return true
		}
		if len(d) > 0 {
			rd.consume(len(d))
			skipped = true
		}
		if !rd.more() {
			return skipped
		}
	}
}

// atEnd reports whether no unread data is left and none can come.
func (rd *reader) atEnd() bool {
	if rd.r < rd.w {
		return false
	}
	return !rd.more()
}
