-- 0005: events and exposures known by the record they came from, not only
-- by where it was in a file. A log edited in place (a leaked line
-- scrubbed), copied or shortened is read again from its start; the rows it
-- already gave must not be stored twice.
--
--   - keyed says the row's session_id and session_line come from the log
--     itself (csvlog, jsonlog, stderr with %c and %l), which names each
--     record of a server once: such rows are unique by source, session and
--     line, whatever file or offset they are read from. Rows of logs that
--     do not name their records keep keyed = 0 and only (file_id,
--     byte_offset).
--   - log_exposures: a keyed exposure is unique by source, session, time
--     and what leaked (kind, account, server, remote user, host, command,
--     field) with its seq in the record.
--   - log_files keeps the SHA-256 of the tail_len bytes of content just
--     before byte_offset, to notice content changed before the checkpoint
--     (a line removed) instead of resuming in the middle of a record.
--
-- Rows stored twice by earlier versions (a rewritten csvlog read again)
-- are removed, the first kept, and the hour counts recounted.

ALTER TABLE events ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0
    CHECK (keyed IN (0, 1));
ALTER TABLE log_exposures ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0
    CHECK (keyed IN (0, 1));
ALTER TABLE log_files ADD COLUMN tail_sha256 BLOB;
ALTER TABLE log_files ADD COLUMN tail_len INTEGER NOT NULL DEFAULT 0;

UPDATE events SET keyed = 1
WHERE session_derived = 0 AND session_id IS NOT NULL AND session_line IS NOT NULL
  AND file_id IN (SELECT id FROM log_files WHERE format IN ('csvlog', 'jsonlog'));

DELETE FROM events WHERE keyed = 1 AND id NOT IN (
    SELECT MIN(id) FROM events WHERE keyed = 1
    GROUP BY source_id, session_id, session_line);

UPDATE log_exposures SET keyed = 1
WHERE session_id <> ''
  AND file_id IN (SELECT id FROM log_files WHERE format IN ('csvlog', 'jsonlog'));

DELETE FROM log_exposures WHERE keyed = 1 AND id NOT IN (
    SELECT MIN(id) FROM log_exposures WHERE keyed = 1
    GROUP BY source, session_id, time, kind, account, server, remote_user, host,
             command, field, seq);

CREATE UNIQUE INDEX events_by_record ON events (source_id, session_id, session_line)
    WHERE keyed = 1;

CREATE UNIQUE INDEX log_exposures_by_record ON log_exposures (source, session_id, time,
    kind, account, server, remote_user, host, command, field, seq)
    WHERE keyed = 1;

DELETE FROM event_hours;
INSERT INTO event_hours (source_id, hour, events)
SELECT source_id, time_us / 3600000000, COUNT(*) FROM events
GROUP BY source_id, time_us / 3600000000;
