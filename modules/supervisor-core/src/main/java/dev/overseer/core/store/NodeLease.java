package dev.overseer.core.store;

import java.time.Duration;
import java.util.Objects;

/**
 * This process's name among the nodes sharing one database ({@code OVERSEER_NODE_ID}) and how long the lease of
 * each of its runs lasts unless renewed ({@code OVERSEER_RUN_LEASE_SECONDS}); renewed every third of it (ADR 0020).
 */
public record NodeLease(String nodeId, Duration lease) {
    public NodeLease {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isEmpty() || nodeId.length() > 64) {
            throw new IllegalArgumentException("a node id has 1 to 64 characters");
        }
        if (lease.toMillis() < 3) {
            throw new IllegalArgumentException("a lease lasts at least 3 ms");
        }
    }

    /** How often a node renews its runs' leases: a third of the lease, so two renewals may fail in a row. */
    public Duration renewEvery() {
        return lease.dividedBy(3);
    }
}
