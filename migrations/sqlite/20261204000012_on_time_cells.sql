-- The supervisors' on-time figures kept as they change (issue 14), so that a statistics page reads a few
-- rows per team and month instead of every case's clock. Keep this file and the other backend's in step.
--
-- Per team, stage and month a deadline fell due (YYYY-MM, Vietnam time): how many were met, and how many
-- missed (ended late, or open past their last day). Open deadlines not yet due count in neither.
CREATE TABLE on_time_cells (
    team_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    month TEXT NOT NULL,
    met BIGINT NOT NULL,
    missed BIGINT NOT NULL,
    PRIMARY KEY (team_id, stage, month)
);

-- What each report adds to its team's cells (`stage:YYYY-MM:m|x,…`, see domain::counted), and when that
-- can next change with no event: the first instant an open deadline becomes overdue. Every report is
-- counted on first start (recount_at 0); each ledger entry about a report counts it again in its own
-- transaction, and the background task counts those whose recount_at has come.
ALTER TABLE reports ADD COLUMN counted TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN recount_at BIGINT DEFAULT 0;
CREATE INDEX reports_by_recount ON reports (recount_at);

-- The statistics page's other read, its open cases by status, age group and assignee, answered from the
-- index alone (the rows, which hold the sealed report, are not read).
CREATE INDEX reports_team_open ON reports (team_id, status, received_at, assignee_id);

-- The policy the cells were counted under (its id, version and a digest of its rules): another policy
-- counts every report again.
CREATE TABLE on_time_policy (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    policy TEXT NOT NULL
);
