package dev.overseer.core.store;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import java.time.Instant;

/** A stored thread; {@code metadataJson} is a JSON object, {@code activeRunId} the run holding it, if any. */
public record ThreadRecord(ThreadId id, UserId userId, String title, String metadataJson, RunId activeRunId,
        Instant createdAt, Instant updatedAt) {
}
