-- 0004: scans kept compactly. A row per grant, per resource and a copy of
-- every finding's text per scan made a large estate (a million grants, a
-- hundred thousand columns) cost about 145 MB and several seconds a scan.
--
--   - Grants: each scan numbers the resources its grants name and the
--     shapes of its grants (what a grant says besides its resource and PHI
--     marking); each account keeps its grants as one blob of those numbers
--     (grants_codec.go describes it).
--   - Resources: each source of a scan keeps its resources as one blob
--     (resources_codec.go).
--   - Finding details: kept once per distinct text, which most scans
--     repeat (finding_details.go).
--
-- The rows of earlier scans are converted by Go code that runs after this
-- file in the same transaction (convertStorage in migrate_compact.go),
-- which then drops the grants and resources tables and the detail column
-- of finding_occurrences.

-- The resources a scan's grants name, numbered from 0 in name order.
CREATE TABLE grant_resources (
    scan_seq INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
    id       INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    PRIMARY KEY (scan_seq, id)
) WITHOUT ROWID;

-- The shapes of a scan's grants, numbered from 0. path is JSON, NULL for
-- a nil path.
CREATE TABLE grant_shapes (
    scan_seq      INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
    id            INTEGER NOT NULL,
    privilege     TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    via           TEXT    NOT NULL,
    path          TEXT,
    set_role_only INTEGER NOT NULL CHECK (set_role_only IN (0, 1)),
    grantable     INTEGER NOT NULL CHECK (grantable IN (0, 1)),
    PRIMARY KEY (scan_seq, id)
) WITHOUT ROWID;

-- grant_list is the encoded list, NULL for a nil list; the counts are
-- kept beside it so that summaries need not decode it.
ALTER TABLE accounts ADD COLUMN grant_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN phi_grant_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN grant_list BLOB;

-- The encoded resources of the source, NULL for none.
ALTER TABLE scan_sources ADD COLUMN resource_list BLOB;

-- Each distinct finding detail once. digest is the SHA-256 of detail.
CREATE TABLE finding_details (
    id     INTEGER PRIMARY KEY,
    digest BLOB NOT NULL UNIQUE,
    detail TEXT NOT NULL
);

ALTER TABLE finding_occurrences ADD COLUMN detail_id INTEGER
    REFERENCES finding_details (id);
