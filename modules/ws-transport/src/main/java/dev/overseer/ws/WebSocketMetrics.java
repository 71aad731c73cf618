package dev.overseer.ws;

import dev.overseer.core.metrics.Buckets;
import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The WebSocket transport's meters: open connections, what waits in their outbound queues, slow readers closed
 * with 1013, and how long each client frame took to handle.
 */
@Singleton
final class WebSocketMetrics {
    /** Every frame type a client can send, and {@code invalid} for a frame that is not one. */
    private static final List<String> FRAME_TYPES = Stream.concat(ClientFrame.TYPES.stream(), Stream.of("invalid"))
            .toList();

    private final OverseerMetrics metrics;
    private final Map<String, Timer> frames;
    private final Counter slowReadersClosed;

    @Inject
    WebSocketMetrics(OverseerMetrics metrics, ConnectionRegistry connections) {
        this.metrics = metrics;
        Gauge.builder("overseer.websocket.connections", connections, ConnectionRegistry::size)
                .description("Open WebSocket connections").register(metrics.registry());
        // Summed when scraped, so that sending a frame touches nothing shared.
        Gauge.builder("overseer.websocket.outbound.queued", connections, WebSocketMetrics::queuedBytes)
                .description("Bytes of frames queued to clients and not yet handed to the socket, over all connections")
                .baseUnit("bytes")
                .register(metrics.registry());
        this.slowReadersClosed = Counter.builder("overseer.websocket.slow.reader.closes")
                .description("Connections closed with 1013 (Try Again Later): the client read too slowly and its"
                        + " outbound queue overflowed")
                .register(metrics.registry());
        this.frames = FRAME_TYPES.stream().collect(Collectors.toUnmodifiableMap(Function.identity(),
                type -> Timer.builder("overseer.websocket.message.duration")
                        .description("Time to handle one client frame, by frame type")
                        .tag("type", type)
                        .serviceLevelObjectives(Buckets.fast())
                        .register(metrics.registry())));
    }

    void frameHandled(String type, long nanos) {
        frames.get(type).record(nanos, TimeUnit.NANOSECONDS);
    }

    void slowReaderClosed() {
        slowReadersClosed.increment();
    }

    void error(String code) {
        metrics.error("websocket", code);
    }

    private static double queuedBytes(ConnectionRegistry connections) {
        long queued = 0;
        for (ConnectionComponent connection : connections.all()) {
            queued += connection.outbox().queuedChars();
        }
        return queued;
    }
}
