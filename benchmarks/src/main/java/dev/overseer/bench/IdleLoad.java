package dev.overseer.bench;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens and holds many authenticated, idle WebSocket connections to Overseer and measures what they cost
 * the server: its live heap (after a full GC) and its resident memory, before and while they are held.
 */
final class IdleLoad {
    /** What holding the connections cost; bytes, and the per-connection share of the growth. */
    record Result(int requested, int opened, int failed, int disconnectsWhileHeld, double connectSeconds,
            long heapBefore, long heapAfter, long rssBefore, long rssAfter) {
        double heapPerConnection() {
            return opened == 0 ? 0 : (double) (heapAfter - heapBefore) / opened;
        }

        double rssPerConnection() {
            return opened == 0 ? 0 : (double) (rssAfter - rssBefore) / opened;
        }
    }

    /** One idle run: how many connections, over how many users and client threads, held how long. */
    record Settings(InetSocketAddress address, int connections, int users, int clientThreads, int concurrentHandshakes,
            Duration hold, Tokens tokens) {
    }

    private final Settings settings;
    private final Semaphore handshakes;
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger disconnects = new AtomicInteger();
    private volatile boolean closing;

    private IdleLoad(Settings settings) {
        this.settings = settings;
        this.handshakes = new Semaphore(settings.concurrentHandshakes());
    }

    static Result run(Settings settings, long serverPid) throws InterruptedException {
        return new IdleLoad(settings).execute(serverPid);
    }

    private Result execute(long serverPid) throws InterruptedException {
        List<WsEventLoop> loops = new ArrayList<>();
        for (int i = 0; i < settings.clientThreads(); i++) {
            loops.add(new WsEventLoop("idle-client-" + i));
        }
        try {
            // A few connections first, closed again, so that what the first connection creates once is not
            // counted as the cost of every connection.
            List<WsConnection> warmUp = open(loops, Math.min(50, settings.connections()), "bench-idle-warmup-");
            abort(warmUp);
            TimeUnit.SECONDS.sleep(1);
            opened.set(0);
            failed.set(0);
            long heapBefore = ServerProbe.liveHeapBytes(serverPid);
            long rssBefore = CpuTime.residentBytes(serverPid);
            long started = System.nanoTime();
            List<WsConnection> held = open(loops, settings.connections(), "bench-idle-");
            double connectSeconds = (System.nanoTime() - started) / 1e9;
            TimeUnit.MILLISECONDS.sleep(settings.hold().toMillis());
            long heapAfter = ServerProbe.liveHeapBytes(serverPid);
            long rssAfter = CpuTime.residentBytes(serverPid);
            int disconnected = disconnects.get();
            Result result = new Result(settings.connections(), opened.get(), failed.get(), disconnected, connectSeconds,
                    heapBefore, heapAfter, rssBefore, rssAfter);
            abort(held);
            return result;
        } finally {
            loops.forEach(WsEventLoop::close);
        }
    }

    /** Opens {@code count} connections, at most {@code concurrentHandshakes} at a time; returns once all are settled. */
    private List<WsConnection> open(List<WsEventLoop> loops, int count, String userPrefix) throws InterruptedException {
        CountDownLatch settled = new CountDownLatch(count);
        List<WsConnection> connections = new ArrayList<>(count);
        int users = Math.max(1, Math.min(settings.users(), count));
        String[] tokens = new String[users];
        for (int i = 0; i < users; i++) {
            tokens[i] = settings.tokens().mint(userPrefix + i);
        }
        for (int i = 0; i < count; i++) {
            if (!handshakes.tryAcquire(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("handshakes stopped completing after " + i + " connections");
            }
            connections.add(WsConnection.open(loops.get(i % loops.size()), settings.address(), "/ws",
                    Map.of("Authorization", "Bearer " + tokens[i % users]), new Listener(settled)));
        }
        if (!settled.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("connections were still opening after 120 s");
        }
        return connections;
    }

    private void abort(List<WsConnection> connections) throws InterruptedException {
        closing = true;
        CountDownLatch aborted = new CountDownLatch(connections.size());
        for (WsConnection connection : connections) {
            connection.loop().execute(() -> {
                connection.abort(true);
                aborted.countDown();
            });
        }
        aborted.await(60, TimeUnit.SECONDS);
        closing = false;
    }

    /** Waits for {@code connection_established}, then only answers pings (the connection code does that). */
    private final class Listener implements WsConnection.Listener {
        private final CountDownLatch settled;
        private boolean established;
        private boolean done;

        Listener(CountDownLatch settled) {
            this.settled = settled;
        }

        @Override
        public void onOpen(WsConnection connection) {
        }

        @Override
        public void onText(WsConnection connection, byte[] data, int offset, int length) {
            if (!established && FrameType.of(data, offset, length) == FrameType.CONNECTION_ESTABLISHED) {
                established = true;
                opened.incrementAndGet();
                settle();
            }
        }

        @Override
        public void onClosed(WsConnection connection, int code, String reason) {
            if (!established) {
                failed.incrementAndGet();
                if (failed.get() <= 5) {
                    System.err.println("idle connection failed: " + reason);
                }
                settle();
            } else if (!closing) {
                disconnects.incrementAndGet();
            }
        }

        private void settle() {
            if (!done) {
                done = true;
                handshakes.release();
                settled.countDown();
            }
        }
    }
}
