-- The officer's queue read a page at a time (issue 14): each commendation keeps its place in the queue's
-- order, so that a page is read from an index position instead of sorting every commendation in memory.
-- Keep this file and the other backend's in step.
--
-- queue_rank: 0 while it waits for an officer (pending, claimed), 1 otherwise. queue_due: the last day of
-- its current deadline under the active policy (a Julian day number), 0 when it has none. Both are set in
-- the transaction of every ledger entry about its report (store::commendations::place_in); NULL means not
-- placed yet (rows made before this migration, or all of them after a change of policy), and the start
-- places those.
ALTER TABLE commendations ADD COLUMN queue_rank INTEGER;
ALTER TABLE commendations ADD COLUMN queue_due BIGINT;
CREATE INDEX commendations_officer_order ON commendations (queue_rank, queue_due, opened_at, report_id);
CREATE INDEX commendations_officer_state ON commendations (status, queue_rank, queue_due, opened_at, report_id);
CREATE INDEX commendations_unplaced ON commendations (report_id) WHERE queue_rank IS NULL;
