-- 0006: revocations of suppressions recorded with `ward suppress`. A
-- suppression row is never updated; its revocation is a row of its own,
-- with who revoked it, when and why, so the history of the accepted risk
-- stays complete. A revoked suppression no longer applies; a later
-- `ward suppress` of the same finding records a new one.
CREATE TABLE suppression_revocations (
    suppression_seq INTEGER PRIMARY KEY REFERENCES suppressions (seq),
    reason          TEXT    NOT NULL CHECK (reason <> ''),
    revoked_by      TEXT    NOT NULL CHECK (revoked_by <> ''),
    revoked_at      TEXT    NOT NULL
);
