package dev.overseer.ws;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps open connections honest: a ping frame every heartbeat interval, a close for a connection silent
 * longer than the idle timeout (no frame, no pong), and a close with 1008 when a connection's token
 * expires. One timer thread serves every connection.
 */
@Singleton
public final class ConnectionSupervision implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionSupervision.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private record Watched(Session session, ScheduledFuture<?> expiry) {
    }

    private final WebSocketSettings settings;
    private final Clock clock;
    private final Map<ConnectionComponent, Watched> watched = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("overseer-ws-supervision").daemon().factory());

    @Inject
    ConnectionSupervision(WebSocketSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        long period = settings.heartbeatInterval().toMillis();
        timer.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    void opened(ConnectionComponent connection, Session session) {
        Instant expiresAt = connection.context().principal().expiresAt();
        long delay = Math.max(0, Duration.between(clock.instant(), expiresAt).toMillis());
        ScheduledFuture<?> expiry = timer.schedule(() -> connection.outbox().close(
                new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "token expired")), delay, TimeUnit.MILLISECONDS);
        watched.put(connection, new Watched(session, expiry));
    }

    void closed(ConnectionComponent connection) {
        Watched gone = watched.remove(connection);
        if (gone != null) {
            gone.expiry().cancel(false);
        }
    }

    /** How many connections are watched (for leak checks). */
    public int size() {
        return watched.size();
    }

    private void sweep() {
        Instant now = clock.instant();
        Instant silentSince = now.minus(settings.idleTimeout());
        watched.forEach((connection, entry) -> {
            try {
                if (connection.context().lastActivity().isBefore(silentSince)) {
                    connection.outbox().close(new CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE, "idle timeout"));
                } else if (entry.session().isOpen()) {
                    entry.session().getAsyncRemote().sendPing(EMPTY.duplicate());
                }
            } catch (Exception e) {
                LOG.debug("heartbeat for {} failed", connection.context().connectionId(), e);
            }
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
