package dev.overseer.ws;

import jakarta.websocket.CloseReason;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JSR-356 {@link Session} for unit tests, made with {@link Proxy}: it records every text frame handed to its
 * async remote and keeps each send "in flight" until the test completes it, as a slow network would. Like
 * Undertow, it writes a frame at once unless batching is allowed, and then holds frames until the next flush
 * (or the next unbatched send), which writes them all together. It also records pings and closes. Methods the
 * transport does not use throw.
 */
final class RecordingSession {
    final List<String> sent = new CopyOnWriteArrayList<>();
    /** The frames of each write to the network, in order. */
    final List<List<String>> writes = new CopyOnWriteArrayList<>();
    final List<CloseReason> closes = new CopyOnWriteArrayList<>();
    final AtomicInteger pings = new AtomicInteger();
    /** Frames handed over while an earlier write still had a frame in flight. */
    final AtomicInteger sendsWhileBusy = new AtomicInteger();
    private final Deque<SendHandler> inFlight = new ArrayDeque<>();
    private final List<String> heldFrames = new ArrayList<>();
    private final List<SendHandler> heldHandlers = new ArrayList<>();
    private boolean batching;
    private final RemoteEndpoint.Async async = proxy(RemoteEndpoint.Async.class, this::onAsync);
    private final Session session = proxy(Session.class, this::onSession);
    private volatile boolean open = true;
    volatile RuntimeException failSends;
    volatile RuntimeException failPings;
    volatile IOException failCloses;
    volatile IOException failFlushes;

    Session session() {
        return session;
    }

    boolean isOpen() {
        return open;
    }

    /** How many sends were written and not completed yet (frames held for a batch are not). */
    synchronized int inFlight() {
        return inFlight.size();
    }

    /** Completes the oldest send still in flight, as delivered ({@code ok}) or failed. */
    void complete(boolean ok) {
        SendHandler handler;
        synchronized (this) {
            handler = inFlight.poll();
        }
        if (handler == null) {
            throw new AssertionError("no send in flight");
        }
        handler.onResult(ok ? new SendResult() : new SendResult(new IOException("connection reset")));
    }

    private Object onSession(Method method, Object[] args) throws IOException {
        return switch (method.getName()) {
            case "getAsyncRemote" -> async;
            case "isOpen" -> open;
            case "getId" -> "test-session";
            case "close" -> {
                if (failCloses != null) {
                    throw failCloses;
                }
                closes.add(args == null || args.length == 0 ? null : (CloseReason) args[0]);
                open = false;
                yield null;
            }
            default -> throw new UnsupportedOperationException("Session." + method.getName());
        };
    }

    private Object onAsync(Method method, Object[] args) throws IOException {
        switch (method.getName()) {
            case "sendText" -> {
                if (failSends != null) {
                    throw failSends;
                }
                if (args.length != 2 || !(args[1] instanceof SendHandler handler)) {
                    throw new UnsupportedOperationException("only sendText(String, SendHandler) is expected");
                }
                synchronized (this) {
                    if (!inFlight.isEmpty()) {
                        sendsWhileBusy.incrementAndGet();
                    }
                    sent.add((String) args[0]);
                    heldFrames.add((String) args[0]);
                    heldHandlers.add(handler);
                    if (!batching) {
                        write();
                    }
                }
                return null;
            }
            case "setBatchingAllowed" -> {
                synchronized (this) {
                    batching = (Boolean) args[0];
                }
                return null;
            }
            case "getBatchingAllowed" -> {
                synchronized (this) {
                    return batching;
                }
            }
            case "flushBatch" -> {
                if (failFlushes != null) {
                    throw failFlushes;
                }
                synchronized (this) {
                    write();
                }
                return null;
            }
            case "sendPing" -> {
                if (failPings != null) {
                    throw failPings;
                }
                pings.incrementAndGet();
                return null;
            }
            default -> throw new UnsupportedOperationException("Async." + method.getName());
        }
    }

    /** Writes the held frames, if any, as one write; they are in flight from now on. */
    private void write() {
        if (heldFrames.isEmpty()) {
            return;
        }
        writes.add(List.copyOf(heldFrames));
        inFlight.addAll(heldHandlers);
        heldFrames.clear();
        heldHandlers.clear();
    }

    private interface Handler {
        Object handle(Method method, Object[] args) throws Exception;
    }

    private static <T> T proxy(Class<T> type, Handler handler) {
        return type.cast(Proxy.newProxyInstance(RecordingSession.class.getClassLoader(), new Class<?>[] {type},
                (self, method, args) -> switch (method.getName()) {
                    case "toString" -> "RecordingSession." + type.getSimpleName();
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == args[0];
                    default -> handler.handle(method, args);
                }));
    }
}
