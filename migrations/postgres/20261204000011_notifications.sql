-- Staff notifications by email (issue 13). Keep this file and the other backend's in step.
--
-- Each staff member's choices, from their profile page: the address, the language of the mails, which
-- events mail them, and the daily digest's local hour (Vietnam time). `digest_day` is the local day (days
-- since 1970-01-01) of the last digest queued, claimed with a conditional update so two instances never
-- queue the same digest twice.
CREATE TABLE notify_choices (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    email TEXT NOT NULL,
    lang TEXT NOT NULL,
    on_assigned BIGINT NOT NULL,
    on_reply BIGINT NOT NULL,
    on_commendation BIGINT NOT NULL,
    digest BIGINT NOT NULL,
    digest_hour BIGINT NOT NULL CHECK (digest_hour BETWEEN 0 AND 23),
    digest_day BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Mails waiting to go out. They hold no report content by construction (counts, stages, dates and a link,
-- rendered when queued); a row is deleted once the mail server has accepted it. `next_at` is when the next
-- attempt may start: the sender claims a row by moving it forward (a lease), so a sender that dies with a
-- row claimed leaves it to be tried again after the lease.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL
);

CREATE INDEX outbox_by_next ON outbox (next_at);

-- How far the notifier has read the ledger: the events that mail someone are ledger entries (written in
-- the same transaction as the change), so a notification can be lost neither by a crash nor by a restart.
CREATE TABLE notify_cursor (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
