package dev.overseer.core.supervisor;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;

/**
 * A start the core accepted: the run and its thread. {@code repeated} when an idempotency key found an
 * earlier run (nothing was started); {@code sameRequest} false when that run was started by a different
 * request (another agent or content) reusing the key.
 */
public record AcceptedRun(RunId runId, ThreadId threadId, boolean repeated, boolean sameRequest) {
}
