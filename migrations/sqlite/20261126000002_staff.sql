-- Staff, teams and routing (issue #3). Report keys are wrapped (HPKE) for each holder in key_grants: the
-- assigned inspector, the team's supervisors and the organisation's recovery key. A staff user's private
-- key is stored only sealed under Argon2id(password); the recovery key's private half is never stored here.
-- Keep this file and migrations/postgres/ in step.

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    -- The unit the team itself belongs to: reports about it go to the parent team.
    unit_id TEXT REFERENCES units (id),
    parent_id TEXT REFERENCES teams (id),
    is_default BIGINT NOT NULL DEFAULT 0
);

-- (category, unit) → team; '*' matches any. The most specific rule wins.
CREATE TABLE routing_rules (
    category TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams (id),
    PRIMARY KEY (category, unit_id)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    -- admin | supervisor | inspector | officer
    role TEXT NOT NULL,
    team_id TEXT REFERENCES teams (id),
    home_unit_id TEXT REFERENCES units (id),
    -- Argon2id PHC string.
    password_hash TEXT NOT NULL,
    -- X25519 public key; the private key sealed under Argon2id(password) with its own salt.
    public_key BLOB NOT NULL,
    private_key_salt BLOB NOT NULL,
    sealed_private_key BLOB NOT NULL,
    -- The TOTP secret, sealed (AES-256-GCM) under a key derived from the server secret: checked at every
    -- sign-in, so it cannot be under the password. The last step used, so a code is never accepted twice.
    totp_secret BLOB NOT NULL,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- The organisation's recovery key: its public half only.
CREATE TABLE org_keys (
    id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE key_grants (
    report_id TEXT NOT NULL REFERENCES reports (id),
    -- a user id, or 'recovery'
    holder TEXT NOT NULL,
    encapped_key BLOB NOT NULL,
    sealed_key BLOB NOT NULL,
    PRIMARY KEY (report_id, holder)
);

CREATE INDEX key_grants_by_holder ON key_grants (holder);

ALTER TABLE reports ADD COLUMN team_id TEXT REFERENCES teams (id);
ALTER TABLE reports ADD COLUMN assignee_id TEXT REFERENCES users (id);

CREATE INDEX reports_by_assignee ON reports (assignee_id, status);
CREATE INDEX reports_by_team ON reports (team_id, status);

-- Staff sessions: the row gives expiry (30 minutes idle) and revocation; the unsealed private key lives only
-- in the session's private cookie (AES-256-GCM under the server secret), never here.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    revoked BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX sessions_by_user ON sessions (user_id);

-- What staff wrote with a case event (the reason of a transition), sealed under the report key. The ledger
-- entry holds the event; this row holds its words.
CREATE TABLE case_notes (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    ledger_seq BIGINT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users (id),
    at BIGINT NOT NULL,
    -- Ciphertext, associated data = (report id, "note", note id).
    body BLOB NOT NULL
);

CREATE INDEX case_notes_by_report ON case_notes (report_id, at);
