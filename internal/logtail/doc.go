// Package logtail reads the log files of one source from where it last
// stopped: once (ward ingest) or following them as they grow (ward watch).
//
// A source's logs are named by files, directories and glob patterns. Each
// file is known by its identity: its device and inode, and the SHA-256 of
// the first bytes of its content (decompressed, for a gzip file). A
// Checkpoint records how far a file's content has been read, at a record
// boundary. With the checkpoints of earlier runs a Tailer
//
//   - continues a file that grew from its checkpoint;
//   - recognises a renamed file by its inode, and a rotated, copied or
//     gzipped copy of a file already read by its first bytes, reading only
//     what the copy holds beyond the checkpoint;
//   - starts over on a file truncated and rewritten in place (PostgreSQL's
//     log_truncate_on_rotation, logrotate's copytruncate), whose first
//     bytes have changed;
//   - picks up the new files PostgreSQL creates by log_filename.
//
// Content is delivered in Segments of whole log records: a segment never
// ends inside a csvlog row, a jsonlog line or a stderr message with its
// DETAIL, STATEMENT and continuation lines, so a parser started at any
// segment's start reads the same records as one that read the file from
// its beginning. The consumer stores what it derives from a segment
// together with the segment's End checkpoint, in one transaction: after a
// crash the Tailer resumes at the last stored checkpoint, and nothing is
// lost or read twice.
//
// A last line without its newline is held back while the writer may still
// be finishing it, until the file has not changed for Options.Settle.
// Compressed files are complete by nature and read to their end.
//
// When one directory or pattern yields the same log in several formats
// (PostgreSQL with log_destination = 'stderr,csvlog,jsonlog' writes
// postgresql-X.log, .csv and .json side by side), only one is read: csvlog,
// else jsonlog, else stderr.
package logtail
