-- The reporter's rating of how their report was handled (issue 13): once per report (the primary key), after
-- its result was notified. The score (1 to 5) is plain, for the supervisors' and the public figures; the
-- comment, if any, is sealed under the report key (nonce ‖ AES-256-GCM, associated data = (report id,
-- "rating")), and is deleted with the report's other sealed parts when the report is erased. No time finer
-- than the one the figures count by is needed, but the instant is kept like every other (UTC milliseconds).
-- Keep this file and the other backend's in step.
CREATE TABLE ratings (
    report_id TEXT PRIMARY KEY REFERENCES reports (id),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment BLOB,
    rated_at BIGINT NOT NULL
);

CREATE INDEX ratings_by_time ON ratings (rated_at);
