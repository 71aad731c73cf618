-- The runs a process may leave active (queued or running) when it stops, for recovery at the next start. The
-- index runs_by_status held an entry for every run ever stored, nearly all of them finished, and every run paid
-- for it in the event writer's commits; recovery only ever asked for the active ones. A run stored finished (a
-- short run is admitted, executed and finished within one commit, ADR 0011) never has a row here; a run that
-- outlives the commit that admits it has one until the commit that finishes it.
CREATE TABLE active_runs (
    run_id VARCHAR(64) NOT NULL PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE
);
INSERT INTO active_runs (run_id) SELECT id FROM runs WHERE status IN ('queued', 'running');
DROP INDEX runs_by_status;
