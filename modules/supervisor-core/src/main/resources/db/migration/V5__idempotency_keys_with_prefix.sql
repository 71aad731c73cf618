-- Keys are stored with the prefix of their key space ("http:" + a 200-character HTTP Idempotency-Key, "ws:" + a
-- 128-character WebSocket request_id): VARCHAR(200) cut off the longest HTTP keys.
ALTER TABLE runs ALTER COLUMN idempotency_key SET DATA TYPE VARCHAR(256);
