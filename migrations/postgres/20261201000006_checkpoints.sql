-- The public transparency page's daily checkpoints (issue 11, D2). One row per day in Vietnam: the ledger's
-- chain as it stood at that day's midnight (the prefix of entries before the first one written at or after
-- 00:00, its length and last hash) and the aggregate figures published with it (reports received before
-- midnight by status, commendations opened before midnight by state, as JSON). Written once, by the server's
-- background task, never by a request; the page shows only these, so nothing on it changes more than daily.
-- `minhbach audit verify` checks every row against the chain. Keep this file and the other backend's in step.
CREATE TABLE ledger_checkpoints (
    day TEXT PRIMARY KEY,
    entries BIGINT NOT NULL,
    hash TEXT NOT NULL,
    figures TEXT NOT NULL
);
