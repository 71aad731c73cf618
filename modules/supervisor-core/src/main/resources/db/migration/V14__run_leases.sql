-- Each active run has an owner node and a lease (SPEC §7, ADR 0020): the node that runs it renews the lease of all
-- its runs with one statement every third of OVERSEER_RUN_LEASE_SECONDS, and any node fails a run whose lease has
-- expired (its owner died) as interrupted. Rows left by a process older than this migration have neither, and are
-- failed by the next start, as every active run was before.
ALTER TABLE active_runs ADD COLUMN owner_node VARCHAR(64);
ALTER TABLE active_runs ADD COLUMN lease_expires_at BIGINT;
-- The active-run limit per user holds across nodes (ADR 0020): an admission locks its user's row here, then counts
-- the user's rows in active_runs, so two nodes admitting runs of one user at once are counted one after the other.
ALTER TABLE active_runs ADD COLUMN user_id VARCHAR(128);
UPDATE active_runs SET user_id = (SELECT runs.user_id FROM runs WHERE runs.id = active_runs.run_id);
ALTER TABLE active_runs ALTER COLUMN user_id SET NOT NULL;
CREATE INDEX active_runs_by_user ON active_runs (user_id);
CREATE TABLE run_admission_locks (
    user_id VARCHAR(128) NOT NULL PRIMARY KEY
);
