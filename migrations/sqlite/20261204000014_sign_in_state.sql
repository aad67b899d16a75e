-- State of getting in that every instance on one database must share (issue 14). Keep this file and the
-- other backend's in step.
--
-- Sign-in throttles as GCRA buckets: the time (ms) at which a bucket is full again ("theoretical arrival
-- time"). 'all' is the whole deployment's bucket; the others are keyed by an HMAC of the username under
-- a subkey of the server secret, so that a password typed in the username field is not stored. A row whose
-- time has passed is a full bucket and is deleted by the background task.
CREATE TABLE sign_in_throttle (
    bucket TEXT PRIMARY KEY,
    full_at BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_full_at ON sign_in_throttle (full_at);

-- The first admin's one-time setup code while no admin exists, sealed under a subkey of the server secret:
-- the first instance to start makes it, every instance prints the same one, and taking it is one
-- conditional delete, so it is accepted once.
CREATE TABLE setup_code (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
