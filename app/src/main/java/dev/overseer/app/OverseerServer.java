package dev.overseer.app;

import dev.overseer.core.mcp.McpServers;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.run.RunLeases;
import dev.overseer.core.store.Database;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.core.auth.CorsPolicy;
import dev.overseer.core.trace.Tracing;
import dev.overseer.http.EdgeHandler;
import dev.overseer.http.HttpMetrics;
import dev.overseer.http.HttpSettings;
import dev.overseer.http.HttpTransport;
import dev.overseer.http.UnauthenticatedConnections;
import dev.overseer.ws.WebSocketTransport;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpHandler;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.XnioWorker;

/** The running server: migrations and recovery at start, both transports on one port, a graceful stop. */
@Singleton
public final class OverseerServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OverseerServer.class);

    private final OverseerConfig config;
    private final Database database;
    private final RunLeases leases;
    private final NodeSignals signals;
    private final RunService runService;
    private final EventWriter eventWriter;
    private final WebSocketTransport webSockets;
    private final HttpTransport http;
    private final XnioWorker worker;
    private final ByteBufferPool buffers;
    private final CorsPolicy cors;
    private final HttpMetrics httpMetrics;
    private final ChatModel model;
    private final HttpSettings httpSettings;
    private final UnauthenticatedConnections unauthenticated;
    private final McpServers mcp;
    private final Tracing tracing;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private HttpListener listener;
    private InetSocketAddress address;

    @Inject
    OverseerServer(OverseerConfig config, Database database, RunLeases leases, NodeSignals signals, RunService runService,
            EventWriter eventWriter, WebSocketTransport webSockets, HttpTransport http, XnioWorker worker,
            ByteBufferPool buffers, CorsPolicy cors, HttpMetrics httpMetrics, ChatModel model, HttpSettings httpSettings,
            UnauthenticatedConnections unauthenticated, McpServers mcp, Tracing tracing) {
        this.tracing = tracing;
        this.config = config;
        this.database = database;
        this.leases = leases;
        this.signals = signals;
        this.runService = runService;
        this.eventWriter = eventWriter;
        this.webSockets = webSockets;
        this.http = http;
        this.worker = worker;
        this.buffers = buffers;
        this.cors = cors;
        this.httpMetrics = httpMetrics;
        this.model = model;
        this.httpSettings = httpSettings;
        this.unauthenticated = unauthenticated;
        this.mcp = mcp;
    }

    /** Migrates the schema, closes runs a dead process left behind, and starts listening. */
    public OverseerServer start() throws ServletException {
        // The schema work and the servlet deployment each load many classes; on two cores, overlap them.
        CompletableFuture<Void> schema = CompletableFuture.runAsync(this::prepareDatabase,
                runnable -> Thread.ofPlatform().name("overseer-migrate").start(runnable));
        // MCP servers connect meanwhile (a child process takes a while to start); one that is down does not stop
        // start-up.
        CompletableFuture<Void> tools = CompletableFuture.runAsync(mcp::start,
                runnable -> Thread.ofPlatform().name("overseer-mcp-start").start(runnable));
        HttpHandler webSocketHandler = webSockets.handler();
        HttpHandler httpHandler = http.handler();
        // The WebSocket deployment sees the full path: its endpoint is mapped at /ws itself.
        HttpHandler root = new EdgeHandler(cors, httpMetrics, unauthenticated, tracing,
                path -> path.equals(WebSocketTransport.PATH) ? WebSocketTransport.PATH : http.routeOf(path),
                exchange -> {
                    if (exchange.getRequestPath().equals(WebSocketTransport.PATH)) {
                        exchange.putAttachment(EdgeHandler.ROUTE, WebSocketTransport.PATH);
                        webSocketHandler.handleRequest(exchange);
                    } else {
                        httpHandler.handleRequest(exchange);
                    }
                });
        try {
            schema.join();
            tools.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        try {
            listener = HttpListener.open(worker, buffers, config.host(), config.port(), root, httpSettings,
                    unauthenticated);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        address = listener.address();
        LOG.info("listening on http://{}:{}", config.host(), address.getPort());
        return this;
    }

    private void prepareDatabase() {
        int applied = database.migrate();
        if (applied > 0) {
            LOG.info("applied {} database migrations", applied);
        }
        // H2 has one node, so every active run was left by a previous process; a node sharing PostgreSQL fails
        // only the runs no live node holds (ADR 0020).
        int interrupted = leases.recoverAtStart(database.isH2());
        if (interrupted > 0) {
            LOG.warn("marked {} runs left active by a previous process as failed (interrupted)", interrupted);
        }
        LOG.info("node {}: run leases of {} s, renewed every {} ms", config.nodeId(), config.runLease().toSeconds(),
                config.runLease().dividedBy(3).toMillis());
        leases.start();
        signals.start();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return address.getPort();
    }

    public WebSocketTransport webSockets() {
        return webSockets;
    }

    public RunService runs() {
        return runService;
    }

    /**
     * Stops gracefully: no new runs, running runs get the grace period to finish (the rest are marked
     * failed / interrupted), every socket is closed with 1001, everything emitted is written.
     */
    @Override
    public void close() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        LOG.info("shutting down");
        webSockets.refuseUpgrades();
        runService.shutdown();
        mcp.close();
        leases.close();
        signals.close();
        webSockets.shutdown();
        if (listener != null) {
            listener.close();
        }
        http.shutdown();
        eventWriter.close();
        if (model instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.debug("closing the model client failed", e);
            }
        }
        worker.shutdown();
        database.close();
        LOG.info("stopped");
    }
}
