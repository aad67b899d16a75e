-- Queues list a team's or an inspector's cases oldest first, optionally by status: these indexes let the
-- database walk the rows in that order and stop after one page instead of sorting every case (measured with
-- 100 000 reports: `cargo bench --bench casework`).
CREATE INDEX reports_team_queue ON reports (team_id, received_at, id);
CREATE INDEX reports_team_status_queue ON reports (team_id, status, received_at, id);
CREATE INDEX reports_assignee_queue ON reports (assignee_id, received_at, id);
CREATE INDEX reports_assignee_status_queue ON reports (assignee_id, status, received_at, id);
