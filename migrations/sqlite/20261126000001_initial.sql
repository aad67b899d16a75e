-- The first schema of Minh Bạch: the organisation's units, reports, messages and the hash-chained ledger.
-- Only routing metadata is stored in clear (category, unit, status, times). Every field a reporter typed is
-- an AES-256-GCM ciphertext under the report's own key, which is itself stored only wrapped.
-- Times are UTC milliseconds; ids are random 128-bit values in hex; money is integer đồng (inside ciphertexts).
-- Keep this file and migrations/postgres/ in step: same tables, same columns, same names.

-- Administrative units the organisation handles (district, town, communes). Names are proper names, kept in
-- Vietnamese and English.
CREATE TABLE units (
    id TEXT PRIMARY KEY,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT REFERENCES units (id),
    position BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    -- HKDF of the retrieval code: finds the report without storing the code.
    locator TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units (id),
    status TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- The report key wrapped under Argon2id(code secret, key_salt) with these parameters.
    key_salt BLOB NOT NULL,
    kdf_memory_kib BIGINT NOT NULL,
    kdf_iterations BIGINT NOT NULL,
    kdf_parallelism BIGINT NOT NULL,
    wrapped_key BLOB NOT NULL,
    -- Ciphertexts (nonce ‖ AES-256-GCM), associated data = (report id, field name).
    narrative BLOB NOT NULL,
    accused BLOB,
    incident_date BLOB,
    amount_vnd BLOB
);

CREATE INDEX reports_by_status ON reports (status, received_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    -- 'reporter' or 'staff'
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Ciphertext, associated data = (report id, "message", message id).
    body BLOB NOT NULL
);

CREATE INDEX messages_by_report ON messages (report_id, created_at);

-- Every case event, hash-chained: hash = SHA-256(prev_hash ‖ canonical fields). Never holds report content.
CREATE TABLE ledger (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    report_id TEXT REFERENCES reports (id),
    actor TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE INDEX ledger_by_report ON ledger (report_id, seq);

-- The chain's head, one row. Appending updates it first, which serialises appends on both backends.
CREATE TABLE ledger_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    entries BIGINT NOT NULL,
    hash TEXT NOT NULL
);

INSERT INTO ledger_head (id, entries, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
