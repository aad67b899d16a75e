-- Work that must run on one instance at a time when several share a database (issue 14): the background
-- task (checkpoint, escalation, on-time recount, retention). The instance whose lease has not run out holds
-- it and renews it every round; when it dies, another takes the lease once it runs out. Keep this file and
-- the other backend's in step.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at BIGINT NOT NULL
);
