package pglog

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/wardsec/ward/internal/inventory"
)

// Format is the layout of a PostgreSQL log.
type Format string

// The log formats.
const (
	// FormatAuto detects the format from the first bytes of the content.
	FormatAuto   Format = ""
	FormatStderr Format = "stderr"
	FormatCSV    Format = "csvlog"
	FormatJSON   Format = "jsonlog"
)

// Defaults of Options.
const (
	DefaultMaxStatement = 64 << 10
	DefaultMaxRecord    = 64 << 20
	DefaultMaxSessions  = 100_000
)

// Options configure a Parser. The zero value works: format detected,
// prefix inferred, UTC, default limits.
type Options struct {
	// Source is copied into every Event and Exposure.
	Source string
	// Format forces a format; FormatAuto detects it per file.
	Format Format
	// Prefix is the server's log_line_prefix for stderr logs. When empty
	// it is inferred from the first lines among common values
	// (PostgreSQL's default, the Debian, pgBadger and managed-service
	// styles). Either way, PostgreSQL's own "parameter "log_line_prefix"
	// changed" lines switch it.
	Prefix string
	// Location resolves time-zone abbreviations of log_timezone that are
	// not in the built-in table; nil means UTC.
	Location *time.Location
	// MaxStatement caps the statement, message and parameter text kept in
	// an Event (default 64 KiB).
	MaxStatement int
	// MaxRecord caps one record; a longer one is skipped (default 64 MiB).
	MaxRecord int
	// MaxSessions caps the sessions remembered for the join (default
	// 100,000); past it the oldest-looking are forgotten.
	MaxSessions int
}

// Sink receives what a parser finds. Event is called once per event,
// Exposure once per credential found; either may be nil. An error from
// either stops the parse and is returned.
type Sink struct {
	Event    func(inventory.Event) error
	Exposure func(inventory.Exposure) error
}

// Stats count what one Parse call read.
type Stats struct {
	Format Format `json:"format"`
	// Prefix is the stderr log_line_prefix in force at the end.
	Prefix string `json:"prefix,omitempty"`
	Bytes  int64  `json:"bytes"`
	Lines  int64  `json:"lines"`
	// Records counts the log records (a message with its DETAIL,
	// STATEMENT… lines) read, whether or not they became events.
	Records   int64 `json:"records"`
	Events    int64 `json:"events"`
	Exposures int64 `json:"exposures"`
	// Skipped counts lines or records that could not be read: not a
	// record of the format, truncated, over MaxRecord, garbage.
	Skipped      int64              `json:"skipped"`
	FirstSkipped inventory.Position `json:"first_skipped,omitzero"`
	// Repaired counts records kept after replacing invalid UTF-8.
	Repaired      int64              `json:"repaired"`
	FirstRepaired inventory.Position `json:"first_repaired,omitzero"`
	// UnknownZones counts records whose time-zone abbreviation was not
	// recognised and was read as UTC.
	UnknownZones int64 `json:"unknown_zones"`
	// SessionsEvicted counts sessions forgotten because of MaxSessions.
	SessionsEvicted int64 `json:"sessions_evicted"`
}

// Parser parses the logs of one server. It keeps the state that spans
// files (open sessions, the stderr prefix), so the rotated files of one
// server are parsed with one Parser, oldest first. A Parser is not safe
// for concurrent use.
type Parser struct {
	opts     Options
	sessions sessionTable
	strs     interner
	red      redactor
	times    timeParser
	csv      csvScanner
	json     jsonScanner
	audit    auditScanner
	sha      hash.Hash
	prefix   prefixState
	// stmts caches the hashes of statements without credentials.
	stmts map[string]cachedStmt
	// cmds caches the commands of statement heads.
	cmds    map[string]string
	scratch []byte
	// lastSession and lastKey cache the last session id parsed.
	lastSession string
	lastKey     uint64

	// per-Parse state; cur is the record being handled
	cur   inventory.Position
	file  string
	stats *Stats
	sink  Sink
}

// New returns a Parser with opts. It fails only on a Prefix that is not a
// valid log_line_prefix.
func New(opts Options) (*Parser, error) {
	if opts.MaxStatement <= 0 {
		opts.MaxStatement = DefaultMaxStatement
	}
	if opts.MaxRecord <= 0 {
		opts.MaxRecord = DefaultMaxRecord
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	p := &Parser{opts: opts, sha: sha256.New(), stmts: map[string]cachedStmt{},
		cmds: map[string]string{}}
	if opts.Prefix != "" {
		m, err := compilePrefix(opts.Prefix)
		if err != nil {
			return nil, fmt.Errorf("pglog: %w", err)
		}
		p.prefix.cur = m
	}
	p.sessions.init(opts.MaxSessions)
	p.strs.init()
	p.times.loc = opts.Location
	return p, nil
}

// Parse reads one log file from r, named file in positions, and sends its
// events and exposures to sink. Gzip content is decompressed. Bad input
// is counted in Stats, never returned as an error; the error is for a read
// failure, a cancelled ctx or an error from sink.
func (p *Parser) Parse(ctx context.Context, r io.Reader, file string, sink Sink) (Stats, error) {
	var st Stats
	p.file, p.stats, p.sink = file, &st, sink
	defer func() { p.stats, p.sink = nil, Sink{} }()

	br := bufio.NewReaderSize(r, 512)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			p.skip(inventory.Position{File: file, Line: 1}, "gzip header")
			return st, nil
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	rd := newReader(r, p.opts.MaxRecord)
	err := p.run(ctx, rd)
	if err == nil {
		err = p.flushAll()
	}
	st.Bytes, st.Lines = rd.off, rd.lines
	if err == nil && rd.err != nil {
		if isCorrupt(rd.err) {
			p.skip(p.pos(rd), "corrupt compressed data")
		} else {
			err = fmt.Errorf("read %s: %w", file, rd.err)
		}
	}
	if st.Format == FormatStderr {
		st.Prefix = describe(p.prefix.cur)
	}
	return st, err
}

// isCorrupt reports whether err comes from damaged compressed input.
func isCorrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.As(err, &ce) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF)
}

// run detects the format and runs its loop.
func (p *Parser) run(ctx context.Context, rd *reader) error {
	f := p.opts.Format
	if f == FormatAuto {
		for len(rd.data()) < 512 && rd.more() {
		}
		f = DetectFormat(rd.data())
		if f == FormatAuto {
			if len(rd.data()) == 0 {
				return nil
			}
			f = FormatStderr
		}
	}
	p.stats.Format = f
	switch f {
	case FormatCSV:
		return p.runCSV(ctx, rd)
	case FormatJSON:
		return p.runJSON(ctx, rd)
	}
	return p.runStderr(ctx, rd)
}

// DetectFormat tells the format from the first bytes of a log: "{" starts
// jsonlog, a timestamp followed by a comma starts csvlog, anything else is
// read as stderr. It returns FormatAuto for empty or blank input.
func DetectFormat(head []byte) Format {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	i := 0
	for i < len(head) && isSpace(head[i]) {
		i++
	}
	head = head[i:]
	if len(head) == 0 {
		return FormatAuto
	}
	if head[0] == '{' {
		return FormatJSON
	}
	if n := timestampLen(head); n > 0 && n < len(head) && head[n] == ',' {
		return FormatCSV
	}
	return FormatStderr
}

func (p *Parser) pos(rd *reader) inventory.Position {
	return inventory.Position{File: p.file, Offset: rd.off, Line: rd.line}
}

// skip counts one unreadable line or record.
func (p *Parser) skip(pos inventory.Position, _ string) {
	if p.stats.Skipped == 0 {
		p.stats.FirstSkipped = pos
	}
	p.stats.Skipped++
}

// checkCtx is called every few thousand records.
func checkCtx(ctx context.Context, n int64) error {
	if n&1023 == 0 {
		return ctx.Err()
	}
	return nil
}

// runCSV reads csvlog records.
func (p *Parser) runCSV(ctx context.Context, rd *reader) error {
	var rec record
	for {
		data := rd.data()
		if len(data) == 0 && !rd.more() {
			return nil
		}
		data = rd.data()
		n, fields, err := p.csv.scanSpans(data, rd.eof)
		switch {
		case errors.Is(err, errIncomplete):
			if rd.full() {
				p.skip(p.pos(rd), "record too long")
				rd.skipLine()
			} else if !rd.more() && !rd.eof {
				return nil // a read error, reported by Parse
			}
			continue
		case err != nil:
			p.skip(p.pos(rd), "malformed csv")
			if err := p.scanSkipped(rd); err != nil {
				return err
			}
			continue
		}
		pos := p.pos(rd)
		if len(fields) == 0 {
			rd.consume(n)
			continue
		}
		if !p.fromCSV(&rec, data, fields) {
			p.skip(pos, "not a csvlog record")
			if err := p.scanSkipped(rd); err != nil {
				return err
			}
			continue
		}
		rec.pos = pos
		p.stats.Records++
		if err := p.handle(&rec); err != nil {
			return err
		}
		rd.consume(n)
		if err := checkCtx(ctx, p.stats.Records); err != nil {
			return err
		}
	}
}

// runJSON reads jsonlog lines.
func (p *Parser) runJSON(ctx context.Context, rd *reader) error {
	var rec record
	for {
		data := rd.data()
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			if rd.full() {
				p.skip(p.pos(rd), "record too long")
				rd.skipLine()
				continue
			}
			if rd.more() {
				continue
			}
			if len(data) == 0 || rd.err != nil {
				return nil
			}
			nl = len(data)
		}
		line := data[:nl]
		n := min(nl+1, len(data))
		if len(bytes.TrimSpace(line)) == 0 {
			rd.consume(n)
			continue
		}
		pos := p.pos(rd)
		kvs, err := p.json.scan(line)
		if err != nil || !p.fromJSON(&rec, kvs) {
			p.skip(pos, "malformed json")
			if err := p.scanSkipped(rd); err != nil {
				return err
			}
			continue
		}
		rec.pos = pos
		p.stats.Records++
		if err := p.handle(&rec); err != nil {
			return err
		}
		// The scan unescaped the line in place, so its bytes may now hold
		// newlines that were \n escapes: a jsonlog record is one line.
		rd.consumeLines(n, int64(n-nl))
		if err := checkCtx(ctx, p.stats.Records); err != nil {
			return err
		}
	}
}

// scanSkipped looks for credentials in the line being skipped, so that a
// damaged record still yields its exposures, then discards the line.
func (p *Parser) scanSkipped(rd *reader) error {
	data := rd.data()
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		nl = len(data)
	}
	line := data[:nl]
	var err error
	if spans := p.red.scan(line, ""); len(spans) > 0 {
		ev := inventory.Event{Source: p.opts.Source, Pos: p.pos(rd)}
		err = p.expose(&ev, spans, "raw")
		clear(line)
	}
	rd.skipLine()
	return err
}
