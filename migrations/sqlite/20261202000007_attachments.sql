-- Evidence files (issue 12). Each file is sealed under its report's key in chunks (STREAM over AES-256-GCM,
-- see src/crypto/stream.rs), stored here so that every instance serves it and every backup holds it; never in
-- clear on disk. `meta` is a sealed JSON object (safe name, type, size, what metadata was removed), with
-- associated data (report id, "attachment-meta", attachment id); `nonce` is the STREAM nonce prefix. A file
-- came with the report (`message_id` NULL) or with one of the reporter's replies. The chunk rows are in
-- order from 0; their count and sizes reveal only the file's size bucket. Keep this file and the other
-- backend's in step.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id),
    message_id TEXT REFERENCES messages (id),
    created_at BIGINT NOT NULL,
    -- Its place among the files sent together (from 0): files are listed in the order they were attached.
    position BIGINT NOT NULL,
    meta BLOB NOT NULL,
    nonce BLOB NOT NULL,
    chunks BIGINT NOT NULL
);

CREATE INDEX attachments_by_report ON attachments (report_id, created_at, position);

CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL REFERENCES attachments (id),
    seq BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
