-- A client's retry of a start (WebSocket request_id, HTTP Idempotency-Key) finds the run it already started.
ALTER TABLE runs ADD COLUMN idempotency_key VARCHAR(200);
CREATE UNIQUE INDEX runs_by_idempotency_key ON runs (user_id, idempotency_key);
