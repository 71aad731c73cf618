package dev.overseer.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.undertow.server.AbstractServerConnection;
import io.undertow.server.HttpServerExchange;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;
import org.xnio.StreamConnection;

/**
 * Bounds the connections that have not yet sent an authenticated request (a WebSocket upgrade that succeeded
 * counts as one): a connection accepted beyond {@code OVERSEER_MAX_UNAUTHENTICATED_CONNECTIONS} is closed at
 * once, and one that has had no request answered within the read timeout of its opening is closed then. With
 * Undertow's own timeouts (a request head within the read timeout, an idle keep-alive within the idle timeout)
 * this keeps clients that never authenticate from holding every descriptor; authenticated clients are never
 * counted against it.
 */
public final class UnauthenticatedConnections {
    private static final Logger LOG = LoggerFactory.getLogger(UnauthenticatedConnections.class);
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;

    private final int max;
    private final long firstAnswerMillis;
    /** The connections not yet authenticated, each with whether a request of it has been answered yet. */
    private final Map<StreamConnection, Boolean> pending = new ConcurrentHashMap<>();
    private final Counter refused;
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

    public UnauthenticatedConnections(HttpSettings settings, MeterRegistry meters) {
        this.max = settings.maxUnauthenticatedConnections();
        this.firstAnswerMillis = settings.readTimeout().toMillis();
        this.refused = Counter.builder("overseer.http.connections.refused")
                .description("Connections closed at accept: too many not yet authenticated")
                .register(meters);
        Gauge.builder("overseer.http.connections.unauthenticated", pending, Map::size)
                .description("Open connections that have not sent an authenticated request yet")
                .register(meters);
    }

    /** The accept listener: counts each new connection as unauthenticated, or closes it when the bound is reached. */
    public ChannelListener<StreamConnection> admitting(ChannelListener<StreamConnection> next) {
        return connection -> {
            if (!admit(connection)) {
                refused.increment();
                long last = lastWarning.get();
                if (System.nanoTime() - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, System.nanoTime())) {
                    LOG.warn("closing new connections: {} connections have not authenticated yet "
                            + "(OVERSEER_MAX_UNAUTHENTICATED_CONNECTIONS)", max);
                }
                IoUtils.safeClose(connection);
                return;
            }
            next.handleEvent(connection);
            // Undertow's connection has set its own close listener by now; ours goes in front of it.
            ChannelListener<? super StreamConnection> theirs = connection.getCloseListener();
            connection.setCloseListener(closed -> {
                pending.remove(closed);
                if (theirs != null) {
                    theirs.handleEvent(closed);
                }
            });
            if (!connection.isOpen()) {
                pending.remove(connection);
                return;
            }
            connection.getIoThread().executeAfter(() -> {
                if (Boolean.FALSE.equals(pending.get(connection))) {
                    IoUtils.safeClose(connection);
                }
            }, firstAnswerMillis, TimeUnit.MILLISECONDS);
        };
    }

    /** Counts the connection in unless the bound is reached; each IO thread accepts, so check and count are one step. */
    private synchronized boolean admit(StreamConnection connection) {
        if (pending.size() >= max) {
            return false;
        }
        pending.put(connection, Boolean.FALSE);
        return true;
    }

    /** A request on the exchange's connection was answered: it is no longer waiting for its first answer. */
    public void answered(HttpServerExchange exchange) {
        if (exchange.getConnection() instanceof AbstractServerConnection connection) {
            pending.replace(connection.getChannel(), Boolean.FALSE, Boolean.TRUE);
        }
    }

    /** The exchange's connection has authenticated: it no longer counts against the bound. */
    public void authenticated(HttpServerExchange exchange) {
        if (exchange.getConnection() instanceof AbstractServerConnection connection) {
            pending.remove(connection.getChannel());
        }
    }

    /** How many open connections have not authenticated (for tests and leak checks). */
    public int size() {
        return pending.size();
    }
}
