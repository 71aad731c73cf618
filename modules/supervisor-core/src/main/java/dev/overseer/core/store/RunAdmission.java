package dev.overseer.core.store;

/**
 * What admitting a run stores: the thread when the run starts a new one ({@code null} for an existing
 * thread), the queued run at its {@link RunPositions position} on the thread, the user's message (stored in
 * the run's row), and the idempotency key with the fingerprint of the request that used it (both
 * {@code null} without a key).
 */
public record RunAdmission(ThreadRecord newThread, RunRecord run, long position, MessageRecord userMessage,
        String idempotencyKey, String fingerprint) {
}
