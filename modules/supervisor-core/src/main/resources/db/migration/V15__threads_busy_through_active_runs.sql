-- A thread is busy while active_runs holds a run of it (ADR 0022): the admission that claims a thread inserts that
-- row, the end of the run deletes it, and a unique index keeps it to one per thread. threads.active_run_id said
-- the same a second time, and every run updated its thread's row twice for it, rewriting the row's entries in both
-- of the table's indexes each time.
ALTER TABLE active_runs ADD COLUMN thread_id VARCHAR(64);
UPDATE active_runs SET thread_id = (SELECT runs.thread_id FROM runs WHERE runs.id = active_runs.run_id);
ALTER TABLE active_runs ALTER COLUMN thread_id SET NOT NULL;
CREATE UNIQUE INDEX active_runs_by_thread ON active_runs (thread_id);
ALTER TABLE threads DROP COLUMN active_run_id;
