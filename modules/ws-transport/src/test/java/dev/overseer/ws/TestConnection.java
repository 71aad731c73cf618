package dev.overseer.ws;

import dev.overseer.context.ConnectionId;
import dev.overseer.context.Principal;
import dev.overseer.context.UserId;
import dev.overseer.context.WebSocketContext;
import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;

/**
 * A connection's component as the registry and the supervision see it: its context and its outbox over a
 * {@link RecordingSession}. It has no frame handler; nothing under test asks for one.
 */
record TestConnection(WebSocketContext context, ConnectionOutbox outbox, RecordingSession network)
        implements ConnectionComponent {
    private static final WebSocketMetrics METRICS = new WebSocketMetrics(
            new OverseerMetrics(new SimpleMeterRegistry()), new ConnectionRegistry());

    static TestConnection of(String user, Instant tokenExpiry, WebSocketSettings settings) {
        RecordingSession network = new RecordingSession();
        WebSocketContext context = new WebSocketContext(ConnectionId.generate(),
                new Principal(new UserId(user), tokenExpiry), Instant.now());
        return new TestConnection(context, new ConnectionOutbox(network.session(), settings, METRICS), network);
    }

    static TestConnection of(String user) {
        return of(user, Instant.now().plus(Duration.ofHours(1)),
                new WebSocketSettings(1024, Duration.ofSeconds(25), Duration.ofSeconds(75), 10, 4096));
    }

    @Override
    public ClientFrameHandler frameHandler() {
        throw new UnsupportedOperationException("no frame handler in this test");
    }
}
