-- What a start with an idempotency key asked for (to tell a retry from a different request with the same
-- key), and the HTTP response it got (to answer a retry with the same status and body).
ALTER TABLE runs ADD COLUMN idempotency_fingerprint VARCHAR(64);

CREATE TABLE idempotent_responses (
    run_id VARCHAR(64)      NOT NULL PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    status INTEGER          NOT NULL,
    body   VARCHAR(1000000) NOT NULL
);
