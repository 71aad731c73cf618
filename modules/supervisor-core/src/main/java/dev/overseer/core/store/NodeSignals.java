package dev.overseer.core.store;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signals between the nodes sharing one PostgreSQL (SPEC §7, ADR 0021): {@link #send} is a {@code NOTIFY} on a
 * channel, delivered once its transaction commits to every node that listens; each node listens on one dedicated
 * connection of its own (outside the pool), read by one platform thread, reconnected with backoff when it drops.
 * With H2 there is one node and nothing to signal: {@link #send} answers false and nothing listens.
 */
@Singleton
public final class NodeSignals implements AutoCloseable {
    /** A run to cancel, by id: whichever node runs it stops it. */
    public static final String CANCEL = "overseer_cancel";
    /** Events of a run committed: {@code run_id:highest_seq}, one per run per commit. */
    public static final String EVENTS = "overseer_events";
    /** A run admitted on a thread: {@code thread_id:run_id:node_id}, for the thread's watchers on other nodes. */
    public static final String RUNS = "overseer_runs";
    /** A waiting tool call of a run was answered, by run id: the node that runs it reads the answer. */
    public static final String APPROVALS = "overseer_approvals";
    private static final List<String> CHANNELS = List.of(CANCEL, EVENTS, RUNS, APPROVALS);
    private static final Logger LOG = LoggerFactory.getLogger(NodeSignals.class);
    private static final int POLL_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final DatabaseSettings settings;
    private final NodeLease node;
    private final Jdbi jdbi;
    private final boolean shared;
    private final Map<String, List<Consumer<String>>> handlers = new ConcurrentHashMap<>();
    private final List<Runnable> onListening = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile Connection connection;
    private Thread listener;

    @Inject
    public NodeSignals(DatabaseSettings settings, Jdbi jdbi, NodeLease node) {
        this.settings = settings;
        this.node = node;
        this.jdbi = jdbi;
        this.shared = settings.jdbcUrl().startsWith("jdbc:postgresql:");
    }

    /** Calls {@code handler} with the payload of every signal on {@code channel}, from the listening thread. */
    public void on(String channel, Consumer<String> handler) {
        handlers.computeIfAbsent(channel, key -> new CopyOnWriteArrayList<>()).add(handler);
    }

    /**
     * Calls {@code hook} each time this node starts listening, the first time and after every reconnect: what
     * was announced while it did not listen was lost, and must be read from the database instead.
     */
    public void onListening(Runnable hook) {
        onListening.add(hook);
    }

    /** This node's id, for signals that say which node sent them. */
    public String nodeId() {
        return node.nodeId();
    }

    /** Whether other nodes may share the database (PostgreSQL), so that there is anything to signal. */
    public boolean shared() {
        return shared;
    }

    /** Starts listening, on PostgreSQL. */
    public synchronized void start() {
        if (shared && listener == null) {
            listener = Thread.ofPlatform().name("overseer-node-signals").daemon().start(this::listen);
        }
    }

    /**
     * Sends a signal to every node (this one included) once committed; false when there are no other nodes to
     * signal (H2). A payload stays far under PostgreSQL's 8000-byte limit: an id.
     */
    public boolean send(String channel, String payload) {
        if (!shared) {
            return false;
        }
        jdbi.useHandle(handle -> announce(handle, channel, List.of(payload)));
        return true;
    }

    /**
     * Sends signals on an open transaction: they are delivered when it commits, and not at all if it rolls back.
     * Nothing on H2.
     */
    public void announce(Handle handle, String channel, List<String> payloads) {
        if (!shared || payloads.isEmpty()) {
            return;
        }
        handle.createQuery("SELECT COUNT(*) FROM (SELECT pg_notify(:channel, p) FROM unnest(:payloads) AS p) notified")
                .bind("channel", channel)
                .bindArray("payloads", String.class, payloads)
                .mapTo(Integer.class)
                .one();
    }

    private void listen() {
        long backoff = 250;
        boolean failing = false;
        while (!closed) {
            try (Connection listening = connect()) {
                connection = listening;
                try (Statement statement = listening.createStatement()) {
                    for (String channel : CHANNELS) {
                        statement.execute("LISTEN " + channel);
                    }
                }
                if (failing) {
                    LOG.info("listening for other nodes' signals again");
                    failing = false;
                }
                backoff = 250;
                for (Runnable hook : onListening) {
                    try {
                        hook.run();
                    } catch (RuntimeException e) {
                        LOG.warn("catching up after listening again failed", e);
                    }
                }
                PGConnection pg = listening.unwrap(PGConnection.class);
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(POLL_MILLIS);
                    if (notifications != null) {
                        for (PGNotification notification : notifications) {
                            dispatch(notification.getName(), notification.getParameter());
                        }
                    }
                }
            } catch (SQLException e) {
                if (closed) {
                    return;
                }
                if (!failing) {
                    LOG.warn("cannot listen for other nodes' signals; reconnecting ({})", e.getMessage());
                    failing = true;
                }
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException interrupted) {
                    return;
                }
                backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
            }
        }
    }

    private Connection connect() throws SQLException {
        Properties properties = new Properties();
        if (!settings.user().isEmpty()) {
            properties.setProperty("user", settings.user());
        }
        if (!settings.password().isEmpty()) {
            properties.setProperty("password", settings.password());
        }
        properties.setProperty("connectTimeout", "2");
        // Which node listens on this connection, in pg_stat_activity.
        properties.setProperty("ApplicationName", "overseer-node-signals " + node.nodeId());
        return DriverManager.getConnection(settings.jdbcUrl(), properties);
    }

    private void dispatch(String channel, String payload) {
        for (Consumer<String> handler : handlers.getOrDefault(channel, List.of())) {
            try {
                handler.accept(payload);
            } catch (RuntimeException e) {
                LOG.warn("handling the signal {} {} failed", channel, payload, e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread thread;
        synchronized (this) {
            thread = listener;
        }
        if (thread != null) {
            Connection listening = connection;
            if (listening != null) {
                try {
                    listening.close();
                } catch (SQLException e) {
                    LOG.debug("closing the signals connection failed", e);
                }
            }
            try {
                thread.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
