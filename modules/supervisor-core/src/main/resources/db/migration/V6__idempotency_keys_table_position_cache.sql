-- Idempotency keys get a table of their own. As a unique index on runs (user_id, idempotency_key) every run paid
-- for an entry, keyless runs too (most runs), placed by user: with many users writing at once, each commit
-- rewrote one index page per user. Now only runs started with a key pay, and only once.
CREATE TABLE run_idempotency_keys (
    user_id         VARCHAR(128) NOT NULL,
    idempotency_key VARCHAR(256) NOT NULL,
    run_id          VARCHAR(64)  NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    fingerprint     VARCHAR(64),
    PRIMARY KEY (user_id, idempotency_key)
);
INSERT INTO run_idempotency_keys (user_id, idempotency_key, run_id, fingerprint)
    SELECT user_id, idempotency_key, id, idempotency_fingerprint FROM runs WHERE idempotency_key IS NOT NULL;
DROP INDEX runs_by_idempotency_key;
ALTER TABLE runs DROP COLUMN idempotency_key;
ALTER TABLE runs DROP COLUMN idempotency_fingerprint;

-- On H2, message positions come from the identity sequence in blocks of 10,000 instead of 32: H2 stores the
-- sequence (a commit that writes every changed page) each time a block runs out, which cost more than the inserts
-- themselves. A crash skips the rest of a block; positions only order messages, so a gap is harmless. PostgreSQL
-- keeps 1: its blocks are per session and would put messages out of order (Database.migrate sets the value).
ALTER TABLE messages ALTER COLUMN position SET CACHE ${messagePositionCache};
