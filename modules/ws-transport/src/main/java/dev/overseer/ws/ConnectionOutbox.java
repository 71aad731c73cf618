package dev.overseer.ws;

import jakarta.inject.Inject;
import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the server sends on one connection goes through here, in order, one batch in flight at a time:
 * what was queued while a batch was on the wire leaves together as the next batch, in one write. The queue is
 * bounded by its size in characters (bytes, for the ASCII JSON we send): a client that stops reading is closed
 * with 1013 instead of growing the heap, and can reconnect and resume.
 */
@ConnectionScope
public final class ConnectionOutbox {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionOutbox.class);
    static final CloseReason.CloseCode TRY_AGAIN_LATER = CloseReason.CloseCodes.getCloseCode(1013);

    private final Session session;
    private final long maxQueued;
    private final SendHandler onSent = this::sent;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private long queuedChars;
    /** Frames handed to the session whose completion has not come back yet. */
    private int inFlight;
    private boolean closed;

    @Inject
    ConnectionOutbox(Session session, WebSocketSettings settings) {
        this.session = session;
        this.maxQueued = settings.maxQueuedOutboundBytes();
    }

    /** Queues a text frame; never blocks. Frames sent after the connection closed are dropped. */
    public void send(String text) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (inFlight == 0) {
                inFlight = 1;
            } else if (queuedChars + text.length() > maxQueued) {
                closed = true;
                queue.clear();
                queuedChars = 0;
            } else {
                queue.add(text);
                queuedChars += text.length();
                return;
            }
        } finally {
            lock.unlock();
        }
        if (closed) {
            LOG.info("closing {}: the client reads too slowly", session.getId());
            closeQuietly(new CloseReason(TRY_AGAIN_LATER, "outbound queue overflow; reconnect and resume"));
            return;
        }
        transmit(text);
    }

    /** How much is waiting to be sent, in characters. */
    public long queuedChars() {
        lock.lock();
        try {
            return queuedChars;
        } finally {
            lock.unlock();
        }
    }

    /** Stops sending: later frames are dropped. */
    public void markClosed() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
            queuedChars = 0;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the connection with this reason; later frames are dropped. */
    public void close(CloseReason reason) {
        markClosed();
        closeQuietly(reason);
    }

    private void transmit(String text) {
        try {
            session.getAsyncRemote().sendText(text, onSent);
        } catch (RuntimeException e) {
            LOG.debug("send on {} failed", session.getId(), e);
            markClosed();
        }
    }

    /**
     * Hands several frames over for one write: with batching allowed Undertow holds them until {@code flushBatch}.
     * Batching holds everything the connection sends, pings and close frames too, so it is allowed only while
     * the batch is handed over (ADR 0010).
     */
    private void transmit(List<String> frames) {
        RemoteEndpoint.Async remote = session.getAsyncRemote();
        try {
            remote.setBatchingAllowed(true);
            try {
                for (String frame : frames) {
                    remote.sendText(frame, onSent);
                }
            } finally {
                remote.setBatchingAllowed(false);
                remote.flushBatch();
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("send on {} failed", session.getId(), e);
            markClosed();
        }
    }

    private void sent(SendResult result) {
        if (!result.isOK()) {
            markClosed();
            return;
        }
        List<String> batch;
        lock.lock();
        try {
            inFlight--;
            if (inFlight > 0 || closed || queue.isEmpty()) {
                return;
            }
            batch = List.copyOf(queue);
            queue.clear();
            queuedChars = 0;
            inFlight = batch.size();
        } finally {
            lock.unlock();
        }
        if (batch.size() == 1) {
            transmit(batch.get(0));
        } else {
            transmit(batch);
        }
    }

    private void closeQuietly(CloseReason reason) {
        try {
            if (session.isOpen()) {
                session.close(reason);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing {} failed", session.getId(), e);
        }
    }
}
