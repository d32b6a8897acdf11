-- 0001: scans, their sources, accounts, grants and resources, and the
-- findings tracked across scans by fingerprint.
--
-- Times are TEXT in UTC with a fixed width ("2006-01-02T15:04:05.000000000Z"),
-- so that comparing them as text orders them in time. Lists and nested
-- settings are JSON text; NULL stands for an absent (nil) value.

-- One run of ward scan. complete is set to 1 by the last statement of the
-- transaction that writes the scan; readers ignore rows where it is 0.
CREATE TABLE scans (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    ward_version TEXT    NOT NULL,
    config_path  TEXT    NOT NULL,
    config_hash  TEXT    NOT NULL,
    complete     INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1))
);

CREATE INDEX scans_by_time ON scans (started_at, seq);

-- The outcome of one source in one scan, with what its snapshot said about
-- coverage, gaps, the scanner's privileges and the source's settings.
-- settings is a JSON object with one member per kind of source
-- ({"postgres": {...}}); has_snapshot is 0 when nothing was collected.
CREATE TABLE scan_sources (
    scan_seq           INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    type               TEXT    NOT NULL,
    status             TEXT    NOT NULL
                       CHECK (status IN ('complete', 'partial', 'failed')),
    error              TEXT    NOT NULL DEFAULT '',
    has_snapshot       INTEGER NOT NULL DEFAULT 0 CHECK (has_snapshot IN (0, 1)),
    started_at         TEXT,
    finished_at        TEXT,
    scanner            TEXT    NOT NULL DEFAULT '',
    scanner_privileges TEXT,
    databases          TEXT,
    gaps               TEXT,
    settings           TEXT,
    sessions           TEXT,
    PRIMARY KEY (scan_seq, name)
);

CREATE INDEX scan_sources_by_name ON scan_sources (name, status);

-- The objects a source reported, with their PHI marking.
CREATE TABLE resources (
    scan_seq   INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    ord        INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    owner      TEXT    NOT NULL DEFAULT '',
    phi        INTEGER NOT NULL CHECK (phi IN (0, 1)),
    phi_reason TEXT    NOT NULL DEFAULT '',
    rls        INTEGER NOT NULL CHECK (rls IN (0, 1)),
    PRIMARY KEY (scan_seq, source, ord),
    FOREIGN KEY (scan_seq, source)
        REFERENCES scan_sources (scan_seq, name) ON DELETE CASCADE
) WITHOUT ROWID;

-- The accounts of a scan as the scan reported them (owners applied).
CREATE TABLE accounts (
    seq          INTEGER PRIMARY KEY,
    scan_seq     INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
    account_id   TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    kind_reasons TEXT,
    owner        TEXT    NOT NULL DEFAULT '',
    purpose      TEXT    NOT NULL DEFAULT '',
    attributes   TEXT    NOT NULL,
    memberships  TEXT,
    UNIQUE (scan_seq, account_id)
);

-- The grants of an account, in the order the scan listed them.
CREATE TABLE grants (
    account_seq   INTEGER NOT NULL REFERENCES accounts (seq) ON DELETE CASCADE,
    ord           INTEGER NOT NULL,
    privilege     TEXT    NOT NULL,
    resource      TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    phi           INTEGER NOT NULL CHECK (phi IN (0, 1)),
    via           TEXT    NOT NULL,
    path          TEXT,
    set_role_only INTEGER NOT NULL CHECK (set_role_only IN (0, 1)),
    grantable     INTEGER NOT NULL CHECK (grantable IN (0, 1)),
    PRIMARY KEY (account_seq, ord)
) WITHOUT ROWID;

-- One row per finding identity. The columns here are those that identify a
-- finding or change with its lifecycle; the full text of the finding as
-- last seen is the occurrence row of last_scan_seq.
CREATE TABLE findings (
    fingerprint   TEXT    PRIMARY KEY,
    rule_id       TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    account_id    TEXT    NOT NULL DEFAULT '',
    resource      TEXT    NOT NULL DEFAULT '',
    severity      TEXT    NOT NULL,
    severity_rank INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('open', 'resolved')),
    first_seen    TEXT    NOT NULL,
    last_seen     TEXT    NOT NULL,
    last_scan_seq INTEGER NOT NULL REFERENCES scans (seq),
    resolved_at   TEXT,
    resolved_scan_seq INTEGER REFERENCES scans (seq)
);

CREATE INDEX findings_by_source ON findings (source, status);

-- A finding as one scan reported it. detail is the JSON of the finding
-- without its first and last seen times, which live on the findings row.
CREATE TABLE finding_occurrences (
    scan_seq    INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
    fingerprint TEXT    NOT NULL REFERENCES findings (fingerprint),
    severity    TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    PRIMARY KEY (scan_seq, fingerprint)
) WITHOUT ROWID;

CREATE INDEX finding_occurrences_by_fingerprint
    ON finding_occurrences (fingerprint, scan_seq);
