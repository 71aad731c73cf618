package dev.overseer.context;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One persistent WebSocket connection: who is connected, since when, when it was last heard from and
 * whether it is still open. It outlives any single run; many runs start on it, each a child of the trace the
 * handshake named, if any.
 */
public final class WebSocketContext {
    private final ConnectionId connectionId;
    private final Principal principal;
    private final Instant connectedAt;
    private final Optional<TraceParent> traceParent;
    private volatile Instant lastActivity;
    private final AtomicBoolean open = new AtomicBoolean(true);

    public WebSocketContext(ConnectionId connectionId, Principal principal, Instant connectedAt) {
        this(connectionId, principal, connectedAt, Optional.empty());
    }

    public WebSocketContext(ConnectionId connectionId, Principal principal, Instant connectedAt,
            Optional<TraceParent> traceParent) {
        this.connectionId = Objects.requireNonNull(connectionId, "connectionId");
        this.principal = Objects.requireNonNull(principal, "principal");
        this.connectedAt = Objects.requireNonNull(connectedAt, "connectedAt");
        this.traceParent = Objects.requireNonNull(traceParent, "traceParent");
        this.lastActivity = connectedAt;
    }

    public ConnectionId connectionId() {
        return connectionId;
    }

    public Principal principal() {
        return principal;
    }

    public UserId userId() {
        return principal.userId();
    }

    public Instant connectedAt() {
        return connectedAt;
    }

    /** The trace the handshake named ({@code traceparent}), if any. */
    public Optional<TraceParent> traceParent() {
        return traceParent;
    }

    public Instant lastActivity() {
        return lastActivity;
    }

    /** Records that the client was heard from (a frame or a pong). */
    public void touch(Instant now) {
        lastActivity = now;
    }

    public boolean isOpen() {
        return open.get();
    }

    /** Marks the connection closed; returns true only for the first call. */
    public boolean markClosed() {
        return open.compareAndSet(true, false);
    }

    /** The context of a run this connection starts. */
    public ExecutionContext executionContext(ThreadId threadId, RunId runId) {
        return new ExecutionContext(principal, threadId, runId, new Origin.WebSocket(connectionId), traceParent);
    }

    @Override
    public String toString() {
        return "WebSocketContext[" + connectionId + ", user=" + principal.userId() + "]";
    }
}
