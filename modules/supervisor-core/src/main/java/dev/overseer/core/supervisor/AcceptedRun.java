package dev.overseer.core.supervisor;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.run.ActiveRun;

/**
 * A start the core accepted: the run and its thread. {@code repeated} when an idempotency key found an
 * earlier run (nothing was started); {@code sameRequest} false when that run was started by a different
 * request (another agent or content) reusing the key. {@code live} is the started run's event stream (null
 * when repeated): a caller follows it from there, even if the run already ended, without reading it back.
 */
public record AcceptedRun(RunId runId, ThreadId threadId, boolean repeated, boolean sameRequest, ActiveRun live) {
}
