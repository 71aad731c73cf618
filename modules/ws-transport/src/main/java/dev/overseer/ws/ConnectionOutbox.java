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
    private final WebSocketMetrics metrics;
    private final SendHandler onSent = this::sent;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private long queuedChars;
    /** Frames accepted for sending, for the access log's close line. */
    private long framesOut;
    /** Frames handed to the session whose completion has not come back yet. */
    private int inFlight;
    private boolean closed;
    /** Set by {@link #closeWhenSent}: the close that goes out once everything queued has been written. */
    private CloseReason closeWhenDrained;

    @Inject
    ConnectionOutbox(Session session, WebSocketSettings settings, WebSocketMetrics metrics) {
        this.session = session;
        this.maxQueued = settings.maxQueuedOutboundBytes();
        this.metrics = metrics;
    }

    /** Queues a text frame; never blocks. Frames sent after the connection closed are dropped. */
    public void send(String text) {
        lock.lock();
        try {
            if (closed || closeWhenDrained != null) {
                return;
            }
            if (inFlight == 0) {
                inFlight = 1;
                framesOut++;
            } else if (queuedChars + text.length() > maxQueued) {
                closed = true;
                queue.clear();
                queuedChars = 0;
            } else {
                queue.add(text);
                queuedChars += text.length();
                framesOut++;
                return;
            }
        } finally {
            lock.unlock();
        }
        if (closed) {
            LOG.info("closing {}: the client reads too slowly", session.getId());
            metrics.slowReaderClosed();
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

    /** How many frames were sent or queued to be sent. */
    public long framesOut() {
        lock.lock();
        try {
            return framesOut;
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

    /**
     * Closes the connection with this reason once every frame queued so far has been written (at once when
     * nothing is waiting); frames sent after this are dropped. A graceful shutdown closes with 1001 this way,
     * so that the terminal events of the runs it stopped reach their clients first.
     */
    public void closeWhenSent(CloseReason reason) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            if (inFlight > 0 || !queue.isEmpty()) {
                closeWhenDrained = reason;
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        closeQuietly(reason);
    }

    /** Whether this outbox no longer sends: closed, or closing once what is queued is written. */
    public boolean isClosing() {
        lock.lock();
        try {
            return closed || closeWhenDrained != null;
        } finally {
            lock.unlock();
        }
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
        List<String> batch = null;
        CloseReason drained = null;
        lock.lock();
        try {
            inFlight--;
            if (inFlight > 0 || closed) {
                return;
            }
            if (!queue.isEmpty()) {
                batch = List.copyOf(queue);
                queue.clear();
                queuedChars = 0;
                inFlight = batch.size();
            } else if (closeWhenDrained != null) {
                closed = true;
                drained = closeWhenDrained;
            }
        } finally {
            lock.unlock();
        }
        if (drained != null) {
            closeQuietly(drained);
        } else if (batch != null && batch.size() == 1) {
            transmit(batch.get(0));
        } else if (batch != null) {
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
