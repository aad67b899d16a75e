-- Each report's clock entries from the ledger (transitions, staff and reporter messages, extensions,
-- commendation opened, proposal and decision), in ledger order, in a compact form: `at:k:value:s;` per entry
-- (k: t transition, m message, e extension, o commendation opened, p proposal, d decision; value: the status moved to or the
-- extension's type; s: 1 when staff acted). Written by the ledger's append, in the same transaction, so the
-- on-time figures over a whole team and the queues read one row per case instead of every ledger entry.
-- `minhbach audit verify` recomputes it from the ledger. Keep this file and migrations/postgres/ in step.
ALTER TABLE reports ADD COLUMN clock TEXT NOT NULL DEFAULT '';

-- Existing reports: the same fragments, built from their ledger entries.
UPDATE reports SET clock = COALESCE((
    SELECT group_concat(
        l.at || ':' ||
        CASE l.kind WHEN 'transition' THEN 't' WHEN 'message' THEN 'm' WHEN 'extension' THEN 'e'
                    WHEN 'commendation_opened' THEN 'o' WHEN 'commendation_proposed' THEN 'p' ELSE 'd' END || ':' ||
        COALESCE(json_extract(l.detail, '$.to'), json_extract(l.detail, '$.type'), '') || ':' ||
        CASE WHEN l.actor IN ('reporter', 'system') THEN '0' ELSE '1' END || ';',
        '' ORDER BY l.seq)
    FROM ledger l
    WHERE l.report_id = reports.id
      AND l.kind IN ('transition', 'message', 'extension', 'commendation_opened', 'commendation_proposed',
                     'commendation_decided')
), '');
