package dev.overseer.http;

import java.time.Duration;

/**
 * The HTTP listener's limits: how long a request's head and body may take to arrive, how long a keep-alive
 * connection may sit idle, and how many connections may be open without having authenticated.
 */
public record HttpSettings(Duration readTimeout, Duration idleTimeout, int maxUnauthenticatedConnections) {
    public HttpSettings {
        if (readTimeout.isNegative() || readTimeout.isZero() || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (maxUnauthenticatedConnections < 1) {
            throw new IllegalArgumentException("maxUnauthenticatedConnections must be at least 1");
        }
    }
}
