package dev.overseer.core.store;

/** A run found by its idempotency key, and the fingerprint of the request that started it. */
public record KeyedRun(RunRecord run, String fingerprint) {
}
