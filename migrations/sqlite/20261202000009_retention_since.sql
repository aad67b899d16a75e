-- Retention (issue 12): since when the server's own sweep has run under each policy (its id and version).
-- The server erases by itself only reports whose erasure day came on or after that day; reports already past
-- their period when a schedule (or a new version of it) took effect here are a backlog the operator reviews
-- (legal holds) and erases with `minhbach retention run`, so that an upgrade never erases old reports at
-- first start. Keep this file and the other backend's in step.
CREATE TABLE retention_state (
    policy TEXT PRIMARY KEY,
    since BIGINT NOT NULL
);
