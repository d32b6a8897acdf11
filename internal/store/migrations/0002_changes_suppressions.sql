-- 0002: how each finding changed in each scan, the findings each scan
-- resolved, the suppressions recorded with `ward suppress`, and the parts
-- of a snapshot the first schema did not keep.

-- change says what an occurrence was to the finding's lifecycle: 'new'
-- (no earlier scan had it), 'reopened' (an earlier complete scan had
-- resolved it) or 'open' (it was open already).
ALTER TABLE finding_occurrences ADD COLUMN change TEXT NOT NULL DEFAULT 'open'
    CHECK (change IN ('new', 'reopened', 'open'));

-- Occurrences stored before this migration: the first of each finding is
-- new. A reopening before this migration cannot be told from the rows and
-- stays 'open'.
UPDATE finding_occurrences SET change = 'new'
WHERE NOT EXISTS (
    SELECT 1
    FROM finding_occurrences o
    JOIN scans earlier ON earlier.seq = o.scan_seq
    JOIN scans cur ON cur.seq = finding_occurrences.scan_seq
    WHERE o.fingerprint = finding_occurrences.fingerprint
      AND (earlier.started_at < cur.started_at
           OR (earlier.started_at = cur.started_at AND earlier.seq < cur.seq)));

-- The findings a scan resolved. findings.resolved_scan_seq holds only the
-- latest resolution of each finding; this keeps every one, so that the
-- changes of any stored scan can be read back.
CREATE TABLE finding_resolutions (
    scan_seq    INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
    fingerprint TEXT    NOT NULL REFERENCES findings (fingerprint),
    PRIMARY KEY (scan_seq, fingerprint)
) WITHOUT ROWID;

INSERT INTO finding_resolutions (scan_seq, fingerprint)
SELECT resolved_scan_seq, fingerprint FROM findings WHERE resolved_scan_seq IS NOT NULL;

-- Suppressions recorded with `ward suppress`, never updated or deleted: a
-- later one for the same finding takes over, and the history stays. until
-- is the last day the suppression applies, YYYY-MM-DD (UTC).
CREATE TABLE suppressions (
    seq         INTEGER PRIMARY KEY,
    fingerprint TEXT    NOT NULL REFERENCES findings (fingerprint),
    reason      TEXT    NOT NULL CHECK (reason <> ''),
    until       TEXT    NOT NULL,
    created_by  TEXT    NOT NULL CHECK (created_by <> ''),
    created_at  TEXT    NOT NULL
);

CREATE INDEX suppressions_by_fingerprint ON suppressions (fingerprint, seq);

-- What a source's snapshot said that the first schema did not keep: the
-- rules a scan could not evaluate, the privileges PUBLIC holds (kept once
-- rather than in every account's grants), functions and default
-- privileges (JSON, NULL when absent), and the row-level security details
-- of tables.
ALTER TABLE scan_sources ADD COLUMN unchecked_rules TEXT;
ALTER TABLE scan_sources ADD COLUMN public_grants TEXT;
ALTER TABLE scan_sources ADD COLUMN functions TEXT;
ALTER TABLE scan_sources ADD COLUMN default_privileges TEXT;
ALTER TABLE resources ADD COLUMN force_rls INTEGER NOT NULL DEFAULT 0
    CHECK (force_rls IN (0, 1));
ALTER TABLE resources ADD COLUMN policies TEXT;
