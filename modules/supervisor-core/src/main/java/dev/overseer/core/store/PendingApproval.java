package dev.overseer.core.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.RunId;
import java.time.Instant;

/** A tool call of a run that waits for its user to approve or reject it until {@code expiresAt} (SPEC §8). */
public record PendingApproval(RunId runId, String toolCallId, String tool, JsonNode arguments, Instant requestedAt,
        Instant expiresAt) {
}
