-- Retention (issue 12). `held_since`: when a supervisor placed a legal hold (NULL: none); a held report is
-- never erased. `erased_at`: when the retention sweep erased the report (NULL: not erased). Erasure deletes
-- the report's grants, messages, notes, evidence files and the commendation's sealed fields and grants, and
-- empties the wrapped key and every sealed field of this row (zero-length values; the columns stay NOT NULL
-- so that both backends keep one schema without rebuilding the table). What stays is the content-free stub:
-- category, unit, team, assignee, status, times and the `clock` column, so statistics and the ledger stay
-- whole; the locator stays, so the reporter's code can still say the report was erased and when.
-- Keep this file and the other backend's in step.
ALTER TABLE reports ADD COLUMN held_since BIGINT;
ALTER TABLE reports ADD COLUMN erased_at BIGINT;
