package dev.overseer.core.store;

import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import java.time.Instant;

/**
 * A stored thread; {@code metadataJson} is a JSON object. Whether a run holds it is in {@code active_runs}
 * (ADR 0022).
 */
public record ThreadRecord(ThreadId id, UserId userId, String title, String metadataJson, Instant createdAt,
        Instant updatedAt) {
}
