-- A thread's messages are stored in its runs' rows (ADR 0013): a run is started by one user message and ends in at
-- most one assistant message, whose text is the run's output and whose time is the run's finish. As rows of their
-- own they cost every run two rows, two index entries and two numbers from a sequence, in the one writer's commits.
--
-- position orders a thread's runs, and so its messages: a number that grows with each admission (microseconds
-- since the epoch, one more than the last when the clock has not moved on). A migrated run keeps its user
-- message's old position, which is smaller than any new one.
ALTER TABLE runs ADD COLUMN position BIGINT;
ALTER TABLE runs ADD COLUMN user_message_id VARCHAR(64);
ALTER TABLE runs ADD COLUMN user_message VARCHAR(1000000);
ALTER TABLE runs ADD COLUMN assistant_message_id VARCHAR(64);

CREATE INDEX messages_by_run ON messages (run_id, role, position);
UPDATE runs SET
    position = (SELECT MIN(m.position) FROM messages m WHERE m.run_id = runs.id AND m.role = 'user'),
    assistant_message_id = (SELECT MIN(m.id) FROM messages m WHERE m.run_id = runs.id AND m.role = 'assistant');
UPDATE runs SET
    user_message_id = (SELECT m.id FROM messages m WHERE m.run_id = runs.id AND m.position = runs.position),
    user_message = (SELECT m.content FROM messages m WHERE m.run_id = runs.id AND m.position = runs.position)
WHERE position IS NOT NULL;
-- Every run stored so far has a user message; one that had none keeps none and sorts first.
UPDATE runs SET position = 0 WHERE position IS NULL;
ALTER TABLE runs ALTER COLUMN position SET NOT NULL;

DROP INDEX runs_by_thread;
CREATE INDEX runs_by_thread ON runs (thread_id, position);
DROP TABLE messages;
