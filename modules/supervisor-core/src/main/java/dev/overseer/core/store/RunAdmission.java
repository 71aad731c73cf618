package dev.overseer.core.store;

/**
 * What admitting a run stores: the thread when the run starts a new one ({@code null} for an existing
 * thread), the queued run, the user's message, and the idempotency key with the fingerprint of the
 * request that used it (both {@code null} without a key).
 */
public record RunAdmission(ThreadRecord newThread, RunRecord run, MessageRecord userMessage, String idempotencyKey,
        String fingerprint) {
}
