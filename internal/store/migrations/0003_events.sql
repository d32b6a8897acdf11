-- 0003: what the sources' logs say. Events parsed from PostgreSQL logs,
-- the credentials the logs exposed, how far each log file has been read,
-- and the sessions still open at that point.
--
-- No statement text, bind parameter, DETAIL or message text is stored as
-- logged: in a hospital they hold patient data. An event keeps the shape
-- of its statement and message (literals replaced by ?, see package
-- sqlshape) and points at its raw line by log file and byte offset; the
-- server's log stays the record of what was said.

-- Strings that repeat from event to event (source names, users,
-- databases, programs, addresses, actions, commands, objects, message
-- shapes), each stored once.
CREATE TABLE event_strings (
    id    INTEGER PRIMARY KEY,
    value TEXT NOT NULL UNIQUE
);

-- Statement shapes, keyed by the SHA-256 of the shape. truncated says the
-- shape was cut at ward's limit (8 KiB).
CREATE TABLE event_statements (
    id        INTEGER PRIMARY KEY,
    sha256    BLOB    NOT NULL UNIQUE,
    shape     TEXT    NOT NULL,
    truncated INTEGER NOT NULL CHECK (truncated IN (0, 1))
);

-- One row per log content read (the checkpoint of logtail): the file it
-- was last read from (path, device, inode, size, mtime), the SHA-256 of
-- its first head_len bytes, which identifies a renamed, rotated or
-- compressed copy, and how far it was read: byte_offset bytes of content
-- (decompressed), at a record boundary, holding line lines. complete says
-- nothing can be appended (a compressed file read to its end).
CREATE TABLE log_files (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    device      INTEGER NOT NULL,
    inode       INTEGER NOT NULL,
    head_sha256 BLOB    NOT NULL,
    head_len    INTEGER NOT NULL,
    format      TEXT    NOT NULL,
    compressed  INTEGER NOT NULL CHECK (compressed IN (0, 1)),
    byte_offset INTEGER NOT NULL,
    line        INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    mtime       TEXT    NOT NULL,
    complete    INTEGER NOT NULL CHECK (complete IN (0, 1)),
    first_read  TEXT    NOT NULL,
    last_read   TEXT    NOT NULL
);

CREATE INDEX log_files_by_source ON log_files (source);

-- One row per event. The *_id columns point into event_strings (NULL when
-- the log did not say), statement_id into event_statements. time_us is
-- microseconds since 1970 in UTC. (file_id, byte_offset) names the record
-- the event came from; a record gives at most one event, so a record read
-- twice cannot be stored twice.
CREATE TABLE events (
    id                      INTEGER PRIMARY KEY,
    source_id               INTEGER NOT NULL,
    time_us                 INTEGER NOT NULL,
    file_id                 INTEGER NOT NULL,
    byte_offset             INTEGER NOT NULL,
    line                    INTEGER NOT NULL,
    action_id               INTEGER NOT NULL,
    outcome_id              INTEGER NOT NULL,
    user_id                 INTEGER,
    database_id             INTEGER,
    command_id              INTEGER,
    object_type_id          INTEGER,
    object_name_id          INTEGER,
    client_addr_id          INTEGER,
    client_port             INTEGER,
    application_id          INTEGER,
    via_pooler              INTEGER NOT NULL,
    session_id              TEXT,
    session_derived         INTEGER NOT NULL,
    session_line            INTEGER,
    pid                     INTEGER,
    replication             INTEGER NOT NULL,
    auth_method_id          INTEGER,
    identity_id             INTEGER,
    sqlstate_id             INTEGER,
    message_id              INTEGER,
    statement_id            INTEGER,
    statement_truncated     INTEGER NOT NULL,
    duration_ms             REAL,
    audit_type_id           INTEGER,
    audit_class_id          INTEGER,
    audit_statement_no      INTEGER,
    audit_substatement_no   INTEGER,
    audit_rows              INTEGER,
    audit_previously_logged INTEGER NOT NULL,
    UNIQUE (file_id, byte_offset)
);

CREATE INDEX events_by_time ON events (source_id, time_us);

-- Events per source and hour (hour = time_us / 3600000000), to tell the
-- stretches the logs cover from the gaps without reading every event.
CREATE TABLE event_hours (
    source_id INTEGER NOT NULL,
    hour      INTEGER NOT NULL,
    events    INTEGER NOT NULL,
    PRIMARY KEY (source_id, hour)
) WITHOUT ROWID;

-- Credentials written to a log, never the credential itself: whose it
-- was, in which command and field, and where (file, offset, line); seq
-- numbers the credentials of one record. Kept whatever the event
-- retention: each one is a credential to rotate.
CREATE TABLE log_exposures (
    id           INTEGER PRIMARY KEY,
    source       TEXT    NOT NULL,
    file_id      INTEGER NOT NULL,
    byte_offset  INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    time         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    account      TEXT    NOT NULL,
    server       TEXT    NOT NULL,
    remote_user  TEXT    NOT NULL,
    host         TEXT    NOT NULL,
    command      TEXT    NOT NULL,
    verifier     INTEGER NOT NULL CHECK (verifier IN (0, 1)),
    field        TEXT    NOT NULL,
    session_user TEXT    NOT NULL,
    database     TEXT    NOT NULL,
    session_id   TEXT    NOT NULL,
    client_addr  TEXT    NOT NULL,
    application  TEXT    NOT NULL,
    UNIQUE (file_id, byte_offset, seq)
);

CREATE INDEX log_exposures_by_source ON log_exposures (source, time);

-- The sessions open where the logs of a source were last read, by backend
-- pid, so that a later run can name the user of a session whose
-- connection lines it did not read (stderr logs without %u).
CREATE TABLE log_sessions (
    source      TEXT    NOT NULL,
    pid         INTEGER NOT NULL,
    session_id  TEXT    NOT NULL,
    derived     INTEGER NOT NULL CHECK (derived IN (0, 1)),
    replication INTEGER NOT NULL CHECK (replication IN (0, 1)),
    user_name   TEXT    NOT NULL,
    database    TEXT    NOT NULL,
    application TEXT    NOT NULL,
    client_addr TEXT    NOT NULL,
    client_port INTEGER NOT NULL,
    started_at  TEXT    NOT NULL,
    last_seen   TEXT    NOT NULL,
    PRIMARY KEY (source, pid)
) WITHOUT ROWID;

-- The events with their strings, for reading the store with SQL.
CREATE VIEW events_readable AS
SELECT e.id,
       strftime('%Y-%m-%dT%H:%M:%fZ', e.time_us / 1000000.0, 'unixepoch') AS time,
       src.value AS source, act.value AS action, res.value AS outcome,
       usr.value AS user_name, db.value AS database, cmd.value AS command,
       otype.value AS object_type, oname.value AS object_name,
       addr.value AS client_addr, app.value AS application, e.via_pooler,
       e.session_id, st.shape AS statement_shape, msg.value AS message_shape,
       f.path AS file, e.byte_offset, e.line
FROM events e
JOIN log_files f ON f.id = e.file_id
LEFT JOIN event_strings src ON src.id = e.source_id
LEFT JOIN event_strings act ON act.id = e.action_id
LEFT JOIN event_strings res ON res.id = e.outcome_id
LEFT JOIN event_strings usr ON usr.id = e.user_id
LEFT JOIN event_strings db ON db.id = e.database_id
LEFT JOIN event_strings cmd ON cmd.id = e.command_id
LEFT JOIN event_strings otype ON otype.id = e.object_type_id
LEFT JOIN event_strings oname ON oname.id = e.object_name_id
LEFT JOIN event_strings addr ON addr.id = e.client_addr_id
LEFT JOIN event_strings app ON app.id = e.application_id
LEFT JOIN event_strings msg ON msg.id = e.message_id
LEFT JOIN event_statements st ON st.id = e.statement_id;
