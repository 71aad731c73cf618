package dev.overseer.ws;

import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;

/** The WebSocket transport's meters: open connections, and how long each client frame took to handle. */
@Singleton
final class WebSocketMetrics {
    private final OverseerMetrics metrics;

    @Inject
    WebSocketMetrics(OverseerMetrics metrics, ConnectionRegistry connections) {
        this.metrics = metrics;
        Gauge.builder("overseer.websocket.connections", connections, ConnectionRegistry::size)
                .description("Open WebSocket connections").register(metrics.registry());
    }

    void frameHandled(String type, long nanos) {
        Timer.builder("overseer.websocket.message.duration")
                .description("Time to handle one client frame, by frame type")
                .tag("type", type)
                .register(metrics.registry())
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void error(String code) {
        metrics.error("websocket", code);
    }
}
