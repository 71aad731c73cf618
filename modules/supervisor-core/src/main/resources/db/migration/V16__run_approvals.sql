-- A tool call that waits for a person (SPEC §8, ADR 0024). The run's node stores the row, pending, in the same
-- transaction as the approval_requested event and the run's move to requires_action, before anyone can see the
-- event; any node answers it with one conditional update (status still pending, run still requires_action), so
-- exactly one answer wins: the user's, or the owner's own rejection once expires_at has passed.
CREATE TABLE run_approvals (
    run_id       VARCHAR(64)      NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    tool_call_id VARCHAR(256)     NOT NULL,
    tool         VARCHAR(300)     NOT NULL,
    arguments    VARCHAR(1000000) NOT NULL,
    requested_at BIGINT           NOT NULL,
    expires_at   BIGINT           NOT NULL,
    status       VARCHAR(16)      NOT NULL,
    reason       VARCHAR(4000),
    resolved_by  VARCHAR(16),
    resolved_at  BIGINT,
    PRIMARY KEY (run_id, tool_call_id)
);
