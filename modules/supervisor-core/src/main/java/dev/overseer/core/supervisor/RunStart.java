package dev.overseer.core.supervisor;

/**
 * A request to start a run: the user's text, the agent (null for the default), whether the thread is new,
 * and the client's idempotency key (null for none; a retry with the same key finds the same run).
 */
public record RunStart(String content, String agent, boolean newThread, String idempotencyKey) {
    public RunStart(String content, String agent, boolean newThread) {
        this(content, agent, newThread, null);
    }
}
