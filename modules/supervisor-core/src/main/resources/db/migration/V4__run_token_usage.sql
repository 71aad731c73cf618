-- Tokens the model reported for a run (null when the model does not report usage, as the offline one).
ALTER TABLE runs ADD COLUMN prompt_tokens BIGINT;
ALTER TABLE runs ADD COLUMN completion_tokens BIGINT;
