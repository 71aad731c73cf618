-- A run's events are stored in chunks: one row per run per write of the event writer, holding that run's events
-- of the batch, consecutive seqs first_seq..last_seq, one JSON document per line (exactly what was sent live).
-- A short run's seven events are one row and one index entry instead of seven of each, and one foreign-key check.
CREATE TABLE run_event_chunks (
    run_id    VARCHAR(64)      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    first_seq INTEGER          NOT NULL,
    last_seq  INTEGER          NOT NULL,
    body      VARCHAR(1000000) NOT NULL,
    PRIMARY KEY (run_id, first_seq)
);
INSERT INTO run_event_chunks (run_id, first_seq, last_seq, body) SELECT run_id, seq, seq, body FROM run_events;
DROP TABLE run_events;
