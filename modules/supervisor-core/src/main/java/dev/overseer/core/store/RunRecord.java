package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.model.TokenUsage;
import java.time.Instant;

/** A stored run; the error fields are set only when it failed, {@code usage} only when the model reported it. */
public record RunRecord(RunId id, ThreadId threadId, UserId userId, String agent, RunStatus status, String origin,
        Instant createdAt, Instant startedAt, Instant finishedAt, String output, String errorCode, String errorMessage,
        TokenUsage usage) {
}
