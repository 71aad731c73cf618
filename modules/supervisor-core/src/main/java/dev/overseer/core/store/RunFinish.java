package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import java.time.Instant;

/** How a run ended: its final status and output or error, and the assistant message to store, if any. */
public record RunFinish(RunId runId, ThreadId threadId, RunStatus status, Instant finishedAt, String output,
        String errorCode, String errorMessage, MessageRecord assistantMessage) {
}
