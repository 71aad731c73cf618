package dev.overseer.core.store;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.model.TokenUsage;
import java.time.Instant;

/**
 * How a run ended: its final status and output (partial for a stopped run) or error, the id of the
 * assistant message the run ends in, if any (its content is the output, its time the finish), and the
 * tokens the model reported (null when it reports none).
 */
public record RunFinish(RunId runId, ThreadId threadId, RunStatus status, Instant finishedAt, String output,
        String errorCode, String errorMessage, MessageId assistantMessageId, TokenUsage usage) {
    public RunFinish(RunId runId, ThreadId threadId, RunStatus status, Instant finishedAt, String output,
            String errorCode, String errorMessage, MessageId assistantMessageId) {
        this(runId, threadId, status, finishedAt, output, errorCode, errorMessage, assistantMessageId, null);
    }
}
