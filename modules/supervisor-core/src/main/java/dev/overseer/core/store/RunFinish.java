package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.model.TokenUsage;
import java.time.Instant;

/**
 * How a run ended: its final status and output (partial for a stopped run) or error, the assistant
 * message to store, if any, and the tokens the model reported (null when it reports none).
 */
public record RunFinish(RunId runId, ThreadId threadId, RunStatus status, Instant finishedAt, String output,
        String errorCode, String errorMessage, MessageRecord assistantMessage, TokenUsage usage) {
    public RunFinish(RunId runId, ThreadId threadId, RunStatus status, Instant finishedAt, String output,
            String errorCode, String errorMessage, MessageRecord assistantMessage) {
        this(runId, threadId, status, finishedAt, output, errorCode, errorMessage, assistantMessage, null);
    }
}
