package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code load --nodes N}: pairs of connections of one user each, the runner on one node and the follower on the
 * next. The runner starts runs on its thread in a closed loop, as {@code load} does; the follower
 * {@code subscribe}s to that thread, so it receives every run from the database, announced by the other node
 * (ADR 0021). The delivery delay of a run is when the follower received its {@code run_completed} minus when
 * the runner did: the runner's copy is sent once the terminal event is committed, so the delay is from commit
 * to a client of another node (plus the runner's own delivery, well under a millisecond on loopback).
 */
final class NodesLoad {
    private static final byte[] RUN_FIELD = "\"run_id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] THREAD_FIELD = "\"thread_id\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ANSWER = "42".getBytes(StandardCharsets.US_ASCII);
    private static final long SUBSCRIBE_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** One run of it: the nodes' addresses, how many pairs, how long, the upgrade headers of pair {@code i}. */
    record Settings(List<InetSocketAddress> nodes, int pairs, WarmUp warmUp, Duration duration, int clientThreads,
            List<Map<String, String>> headers) {
    }

    /** What it measured: runs (latency start → terminal, on the runner) and delivery delays, in the window. */
    record Result(int nodes, int pairs, double seconds, LoadStats runs, LoadStats delivery, long missed,
            double warmUpSeconds) {
        double runsPerSecond() {
            return runs.runs / seconds;
        }
    }

    private final Settings settings;
    private final CountDownLatch ready;
    private final CountDownLatch done;
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;

    private NodesLoad(Settings settings) {
        this.settings = settings;
        this.ready = new CountDownLatch(settings.pairs());
        this.done = new CountDownLatch(settings.pairs());
    }

    /** Runs the load; {@code warmUpPid} is the node whose compiler the warm-up watches. */
    static Result run(Settings settings, long warmUpPid) throws InterruptedException {
        return new NodesLoad(settings).execute(warmUpPid);
    }

    private Result execute(long warmUpPid) throws InterruptedException {
        List<WsEventLoop> loops = new ArrayList<>();
        List<LoadStats> runs = new ArrayList<>();
        List<LoadStats> delivery = new ArrayList<>();
        for (int i = 0; i < settings.clientThreads(); i++) {
            loops.add(new WsEventLoop("ws-nodes-client-" + i));
            runs.add(new LoadStats());
            delivery.add(new LoadStats());
        }
        List<Pair> pairs = new ArrayList<>();
        try {
            for (int i = 0; i < settings.pairs(); i++) {
                int slot = i % loops.size();
                // Both sides of a pair on one loop thread: what they share needs no lock.
                Pair pair = new Pair(runs.get(slot), delivery.get(slot));
                pairs.add(pair);
                List<InetSocketAddress> nodes = settings.nodes();
                pair.runner.connection = WsConnection.open(loops.get(slot), nodes.get(i % nodes.size()), EchoServer.PATH,
                        settings.headers().get(i), pair.runner);
                pair.follower.connection = WsConnection.open(loops.get(slot), nodes.get((i + 1) % nodes.size()),
                        EchoServer.PATH, settings.headers().get(i), pair.follower);
            }
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the pairs were not subscribed within 60 s");
            }
            long start = System.nanoTime();
            for (Pair pair : pairs) {
                pair.runner.connection.loop().execute(pair.runner::next);
            }
            long open = settings.warmUp().await(start, warmUpPid);
            windowEnd = open + settings.duration().toNanos();
            windowStart = open;
            WarmUp.sleepUntil(windowEnd);
            boolean drained = done.await(30, TimeUnit.SECONDS);
            // Followers get the last runs' terminals a little after the runners.
            Thread.sleep(2_000);
            CountDownLatch counted = new CountDownLatch(pairs.size());
            long[] missed = new long[pairs.size()];
            for (int i = 0; i < pairs.size(); i++) {
                Pair pair = pairs.get(i);
                int index = i;
                pair.runner.connection.loop().execute(() -> {
                    missed[index] = pair.missed();
                    pair.runner.connection.abort(false);
                    pair.follower.connection.abort(false);
                    counted.countDown();
                });
            }
            counted.await(10, TimeUnit.SECONDS);
            loops.forEach(WsEventLoop::close);
            LoadStats allRuns = LoadStats.merge(runs);
            if (!drained) {
                allRuns.error("run_not_finished_after_window");
            }
            long missedRuns = 0;
            for (long count : missed) {
                missedRuns += count;
            }
            return new Result(settings.nodes().size(), settings.pairs(), settings.duration().toNanos() / 1e9, allRuns,
                    LoadStats.merge(delivery), missedRuns, (open - start) / 1e9);
        } finally {
            loops.forEach(WsEventLoop::close);
        }
    }

    /** The report: a table and, for {@code --json}, the same as JSON. */
    static void print(Result result, Machine machine, Settings settings, PrintStream out) {
        out.println();
        out.println("load --nodes " + result.nodes() + ": " + result.pairs() + " pairs (runner on one node, follower on the next), "
                + "warm-up " + settings.warmUp() + ", " + settings.duration().toMillis() / 1e3 + " s measured; "
                + machine.line());
        LoadStats.Percentiles run = result.runs().percentiles();
        LoadStats.Percentiles delivered = result.delivery().percentiles();
        new Report.Table("measure", "count", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms")
                .row("runs (runner: start -> terminal)", result.runs().runs, result.runsPerSecond(), run.p50(), run.p90(),
                        run.p99(), run.max())
                .row("cross-node delivery (terminal: runner -> follower)", result.delivery().runs,
                        result.delivery().runs / result.seconds(), delivered.p50(), delivered.p90(), delivered.p99(),
                        delivered.max())
                .print(out);
        out.println("runs the follower never received: " + result.missed() + "; errors: " + result.runs().errors
                + " (runners), " + result.delivery().errors + " (followers)");
    }

    static ObjectNode toJson(Result result, Machine machine, Settings settings) {
        ObjectNode json = Json.object().put("benchmark", "load-nodes");
        machine.writeTo(json);
        ObjectNode config = json.putObject("settings");
        config.put("nodes", result.nodes());
        config.put("pairs", result.pairs());
        config.put("warmup", settings.warmUp().toString());
        config.put("duration_s", settings.duration().toMillis() / 1e3);
        config.put("database", "postgresql (embedded, --postgres)");
        json.put("warmup_s", Report.round3(result.warmUpSeconds()));
        json.put("runs_per_s", Report.round3(result.runsPerSecond()));
        json.set("run_latency_ms", Report.percentiles(result.runs().percentiles()));
        json.put("delivered", result.delivery().runs);
        json.set("delivery_ms", Report.percentiles(result.delivery().percentiles()));
        json.put("missed", result.missed());
        json.putPOJO("runner_errors", result.runs().errors);
        json.putPOJO("follower_errors", result.delivery().errors);
        return json;
    }

    private boolean inWindow(long now) {
        return now >= windowStart && now < windowEnd;
    }

    /** A runner and its follower; everything here runs on their loop's thread. */
    private final class Pair {
        private final LoadStats runs;
        private final LoadStats delivery;
        final Runner runner = new Runner();
        final Follower follower = new Follower();
        /** When each side received a run's terminal event, until the other side does too. */
        private final Map<String, Long> runnerEnds = new HashMap<>();
        private final Map<String, Long> followerEnds = new HashMap<>();
        private boolean subscribed;
        private boolean firstRunEnded;
        private boolean counted;
        private byte[] startFrame;

        Pair(LoadStats runs, LoadStats delivery) {
            this.runs = runs;
            this.delivery = delivery;
        }

        void runnerEnded(String run, long at) {
            Long followed = followerEnds.remove(run);
            if (followed == null) {
                runnerEnds.put(run, at);
            } else {
                delivered(at, followed);
            }
        }

        void followerEnded(String run, long at) {
            Long ran = runnerEnds.remove(run);
            if (ran == null) {
                followerEnds.put(run, at);
            } else {
                delivered(ran, at);
            }
        }

        private void delivered(long ran, long followed) {
            if (inWindow(ran)) {
                delivery.runs++;
                delivery.latency(Math.max(0, followed - ran));
            }
        }

        /** Ready once the follower has subscribed and the run that made the thread has ended. */
        private void readyIfSo() {
            if (subscribed && firstRunEnded && !counted) {
                counted = true;
                ready.countDown();
            }
        }

        /** Runs of the window whose terminal the follower never received. */
        long missed() {
            return runnerEnds.values().stream().filter(NodesLoad.this::inWindow).count();
        }

        private final class Runner implements WsConnection.Listener {
            WsConnection connection;
            private boolean established;
            private boolean busy;
            private boolean finished;
            private long sentAt;
            private String runId;

            @Override
            public void onOpen(WsConnection connection) {
            }

            @Override
            public void onText(WsConnection connection, byte[] data, int offset, int length) {
                long now = System.nanoTime();
                switch (FrameType.of(data, offset, length)) {
                    case CONNECTION_ESTABLISHED -> {
                        established = true;
                        // The first run makes the pair's thread; it is not counted.
                        connection.sendText(WsLoad.START_AGENT.getBytes(StandardCharsets.UTF_8));
                    }
                    case RUN_ACCEPTED -> {
                        runId = WsLoad.field(data, offset, length, RUN_FIELD, null);
                        if (startFrame == null) {
                            String thread = WsLoad.field(data, offset, length, THREAD_FIELD, null);
                            startFrame = WsLoad.onThread(thread);
                            follower.subscribe(thread);
                        }
                    }
                    case RUN_COMPLETED -> {
                        if (FrameType.indexOf(data, offset, offset + length, ANSWER) < 0) {
                            runs.error("run_completed_without_42");
                        }
                        ended(now);
                    }
                    case RUN_FAILED -> {
                        runs.error("run_failed");
                        ended(now);
                    }
                    case RUN_CANCELLED -> {
                        runs.error("run_cancelled");
                        ended(now);
                    }
                    case ERROR -> runs.error("error_frame");
                    default -> {
                    }
                }
            }

            private void ended(long now) {
                if (!busy) {
                    firstRunEnded = true;
                    readyIfSo();
                    return;
                }
                busy = false;
                if (inWindow(now)) {
                    runs.runs++;
                    runs.latency(now - sentAt);
                }
                runnerEnded(runId, now);
                next();
            }

            /** The next run on the pair's thread, until the window has closed. */
            void next() {
                if (!established || !subscribed || !connection.isOpen() || System.nanoTime() >= windowEnd) {
                    if (!finished) {
                        finished = true;
                        done.countDown();
                    }
                    return;
                }
                busy = true;
                runs.sent++;
                sentAt = System.nanoTime();
                connection.sendText(startFrame);
            }

            @Override
            public void onClosed(WsConnection connection, int code, String reason) {
                if (!finished) {
                    runs.error("runner_disconnect:" + code);
                }
            }
        }

        private final class Follower implements WsConnection.Listener {
            WsConnection connection;

            @Override
            public void onOpen(WsConnection connection) {
            }

            void subscribe(String thread) {
                connection.sendText(("{\"type\":\"subscribe\",\"thread_id\":\"" + thread + "\"}")
                        .getBytes(StandardCharsets.UTF_8));
                // There is no acknowledgement (docs/websocket-protocol.md): give it time to reach the other node.
                connection.loop().schedule(SUBSCRIBE_SETTLE_NANOS, () -> {
                    subscribed = true;
                    readyIfSo();
                });
            }

            @Override
            public void onText(WsConnection connection, byte[] data, int offset, int length) {
                FrameType type = FrameType.of(data, offset, length);
                if (type == FrameType.RUN_COMPLETED || type == FrameType.RUN_FAILED || type == FrameType.RUN_CANCELLED) {
                    followerEnded(WsLoad.field(data, offset, length, RUN_FIELD, null), System.nanoTime());
                } else if (type == FrameType.ERROR) {
                    delivery.error("follower_error_frame");
                }
            }

            @Override
            public void onClosed(WsConnection connection, int code, String reason) {
                if (!runner.finished) {
                    delivery.error("follower_disconnect:" + code);
                }
            }
        }
    }
}
