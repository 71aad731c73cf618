package dev.overseer.bench;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Drives {@code connections} WebSocket connections in closed loops for a warm-up and a measured window.
 * Echo: send the start frame, wait for its echo, repeat. Overseer: send {@code start_agent}, wait for the
 * run's terminal event, repeat. Frames, runs and latencies count only inside the window; errors count
 * from the first connect to the last close.
 */
final class WsLoad {
    static final String START_AGENT = "{\"type\":\"start_agent\",\"content\":\"What is 6*7?\"}";
    private static final byte[] START_FRAME = START_AGENT.getBytes(StandardCharsets.UTF_8);
    private static final byte[] ANSWER = "42".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CODE_FIELD = "\"code\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] THREAD_FIELD = "\"thread_id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** What the client does with each answer. */
    enum Mode {
        /** Counts every echo as one frame and one round trip. */
        ECHO,
        /** Counts every frame after {@code connection_established}; a terminal event ends a run. */
        OVERSEER
    }

    /**
     * One load run: where, how many connections, how long, and the upgrade headers of connection {@code i}.
     * With {@code reuseThread} each Overseer connection starts its runs on the thread its first run created
     * (as the HTTP load does on the thread each loop created), instead of a new thread per run.
     */
    record Settings(Mode mode, InetSocketAddress address, String path, int connections, WarmUp warmUp,
            Duration duration, int clientThreads, IntFunction<Map<String, String>> headers, boolean reuseThread) {
    }

    /** What a load run measured; CPU is in cores (CPU seconds per second) over the window. */
    record Result(Mode mode, int connections, int connected, double seconds, LoadStats stats, CpuTime.Usage cpu,
            Instant from, Instant to, double warmUpSeconds) {
        double framesPerSecond() {
            return stats.frames / seconds;
        }

        double runsPerSecond() {
            return stats.runs / seconds;
        }

        double framesPerRun() {
            return stats.runs == 0 ? 0 : (double) stats.frames / stats.runs;
        }
    }

    private final Settings settings;
    private final CountDownLatch ready;
    private final CountDownLatch done;
    private final CountDownLatch closed;
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;

    private WsLoad(Settings settings) {
        this.settings = settings;
        this.ready = new CountDownLatch(settings.connections());
        this.done = new CountDownLatch(settings.connections());
        this.closed = new CountDownLatch(settings.connections());
    }

    /** Runs the load against the server process {@code serverPid} (whose CPU use is measured). */
    static Result run(Settings settings, long serverPid) throws InterruptedException {
        return new WsLoad(settings).execute(serverPid);
    }

    private Result execute(long serverPid) throws InterruptedException {
        List<WsEventLoop> loops = new ArrayList<>();
        List<LoadStats> stats = new ArrayList<>();
        for (int i = 0; i < settings.clientThreads(); i++) {
            loops.add(new WsEventLoop("ws-client-" + i));
            stats.add(new LoadStats());
        }
        List<Driver> drivers = new ArrayList<>();
        try {
            for (int i = 0; i < settings.connections(); i++) {
                int slot = i % loops.size();
                Driver driver = new Driver(stats.get(slot));
                drivers.add(driver);
                driver.connection = WsConnection.open(loops.get(slot), settings.address(), settings.path(),
                        settings.headers().apply(i), driver);
            }
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the connections did not open within 60 s");
            }
            long start = System.nanoTime();
            for (Driver driver : drivers) {
                driver.connection.loop().execute(driver::begin);
            }
            long open = settings.warmUp().await(start, serverPid);
            windowEnd = open + settings.duration().toNanos();
            windowStart = open;
            Instant from = Instant.now();
            CpuTime.Sample cpuAtStart = CpuTime.Sample.take(serverPid);
            WarmUp.sleepUntil(windowEnd);
            CpuTime.Usage cpu = cpuAtStart.until(CpuTime.Sample.take(serverPid));
            double seconds = settings.duration().toNanos() / 1e9;
            boolean drained = done.await(30, TimeUnit.SECONDS);
            for (Driver driver : drivers) {
                driver.connection.loop().execute(driver::close);
            }
            closed.await(10, TimeUnit.SECONDS);
            for (Driver driver : drivers) {
                driver.connection.loop().execute(() -> driver.connection.abort(false));
            }
            for (WsEventLoop loop : loops) {
                loop.close();
            }
            LoadStats all = LoadStats.merge(stats);
            if (!drained) {
                all.error("run_not_finished_after_window");
            }
            int connected = (int) drivers.stream().filter(driver -> driver.opened).count();
            return new Result(settings.mode(), settings.connections(), connected, seconds, all,
                    cpu, from,
                    from.plus(settings.duration()), (open - start) / 1e9);
        } finally {
            loops.forEach(WsEventLoop::close);
        }
    }

    private int second(long now) {
        return (int) ((now - windowStart) / 1_000_000_000L);
    }

    private boolean inWindow(long now) {
        return now >= windowStart && now < windowEnd;
    }

    /** The closed loop of one connection; runs on its connection's loop thread. */
    private final class Driver implements WsConnection.Listener {
        private final LoadStats stats;
        WsConnection connection;
        boolean opened;
        private boolean ready;
        private boolean busy;
        private boolean accepted;
        private boolean finished;
        private boolean closing;
        private boolean gone;
        private long sentAt;
        private byte[] startFrame = START_FRAME;

        Driver(LoadStats stats) {
            this.stats = stats;
        }

        @Override
        public void onOpen(WsConnection connection) {
            opened = true;
            if (settings.mode() == Mode.ECHO) {
                markReady();
            }
        }

        private void markReady() {
            if (!ready) {
                ready = true;
                WsLoad.this.ready.countDown();
            }
        }

        void begin() {
            if (ready && connection.isOpen()) {
                next(System.nanoTime());
            } else {
                finish();
            }
        }

        @Override
        public void onText(WsConnection connection, byte[] data, int offset, int length) {
            long now = System.nanoTime();
            if (settings.mode() == Mode.ECHO) {
                if (inWindow(now)) {
                    stats.frames++;
                    stats.runs++;
                    stats.latency(now - sentAt);
                    stats.completedInSecond(second(now));
                }
                busy = false;
                next(now);
                return;
            }
            FrameType type = FrameType.of(data, offset, length);
            if (!ready) {
                if (type == FrameType.CONNECTION_ESTABLISHED) {
                    markReady();
                } else {
                    stats.error("frame_before_connection_established");
                }
                return;
            }
            if (inWindow(now)) {
                stats.frames++;
            }
            switch (type) {
                case RUN_ACCEPTED -> {
                    accepted = true;
                    if (settings.reuseThread() && startFrame == START_FRAME) {
                        startFrame = onThread(threadId(data, offset, length));
                    }
                }
                case RUN_COMPLETED -> {
                    if (FrameType.indexOf(data, offset, offset + length, ANSWER) < 0) {
                        stats.error("run_completed_without_42");
                    }
                    endRun(now);
                }
                case RUN_FAILED -> {
                    stats.error("run_failed");
                    endRun(now);
                }
                case RUN_CANCELLED -> {
                    stats.error("run_cancelled");
                    endRun(now);
                }
                case ERROR -> {
                    stats.error("error_frame:" + errorCode(data, offset, length));
                    if (busy && !accepted) {
                        busy = false;
                        connection.loop().schedule(ERROR_BACKOFF_NANOS, () -> next(System.nanoTime()));
                    }
                }
                default -> {
                }
            }
        }

        private void endRun(long now) {
            if (!busy) {
                stats.error("terminal_without_start");
                return;
            }
            if (inWindow(now)) {
                stats.runs++;
                stats.latency(now - sentAt);
                stats.completedInSecond(second(now));
            }
            busy = false;
            accepted = false;
            next(now);
        }

        private void next(long now) {
            if (now < windowEnd && connection.isOpen()) {
                busy = true;
                stats.sent++;
                sentAt = System.nanoTime();
                connection.sendText(startFrame);
            } else {
                finish();
            }
        }

        private void finish() {
            if (!finished) {
                finished = true;
                done.countDown();
            }
        }

        void close() {
            closing = true;
            if (connection.isOpen()) {
                connection.close(1000);
            } else {
                closedOnce();
            }
        }

        @Override
        public void onClosed(WsConnection connection, int code, String reason) {
            if (!closing) {
                stats.error(ready ? "disconnect:" + code : "connect_failed");
                if (!ready) {
                    System.err.println("connection failed: " + reason);
                }
            }
            if (!ready) {
                ready = true;
                WsLoad.this.ready.countDown();
            }
            finish();
            closedOnce();
        }

        private void closedOnce() {
            if (!gone) {
                gone = true;
                closed.countDown();
            }
        }
    }

    private static String errorCode(byte[] data, int offset, int length) {
        return field(data, offset, length, CODE_FIELD, "unknown");
    }

    private static String threadId(byte[] data, int offset, int length) {
        return field(data, offset, length, THREAD_FIELD, null);
    }

    /** The start frame of a run on this thread. */
    static byte[] onThread(String threadId) {
        if (threadId == null) {
            throw new IllegalStateException("run_accepted without a thread_id");
        }
        return ("{\"type\":\"start_agent\",\"thread_id\":\"" + threadId + "\",\"content\":\"What is 6*7?\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The string value of the first {@code "name":"…} in the frame, or {@code absent}. */
    static String field(byte[] data, int offset, int length, byte[] name, String absent) {
        int at = FrameType.indexOf(data, offset, offset + length, name);
        if (at < 0) {
            return absent;
        }
        int from = at + name.length;
        int to = from;
        while (to < offset + length && data[to] != '"') {
            to++;
        }
        return new String(data, from, to - from, StandardCharsets.UTF_8);
    }
}
