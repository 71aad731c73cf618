package dev.overseer.ws;

import java.time.Duration;

/** The WebSocket transport's limits (SPEC §2). */
public record WebSocketSettings(
        int maxMessageBytes,
        Duration heartbeatInterval,
        Duration idleTimeout,
        int maxConnectionsPerUser,
        long maxQueuedOutboundBytes) {

    public WebSocketSettings {
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("maxMessageBytes must be positive");
        }
        if (maxConnectionsPerUser < 1) {
            throw new IllegalArgumentException("maxConnectionsPerUser must be at least 1");
        }
        if (maxQueuedOutboundBytes < maxMessageBytes) {
            throw new IllegalArgumentException("the outbound queue must hold at least one message");
        }
    }
}
