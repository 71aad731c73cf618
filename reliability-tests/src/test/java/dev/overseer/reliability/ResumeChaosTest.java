package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.Frames;
import dev.overseer.it.Http;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §4/§5: runs continue when their client disconnects, and {@code resume} (or resending the same
 * {@code start_agent}) delivers every event after the last one seen. Dozens of waiting runs whose clients drop
 * the TCP connection at random points, without a close frame, and come back: each run's assembled events equal
 * GET /api/runs/{id}/events, with nothing lost, repeated or reordered.
 */
class ResumeChaosTest {
    private static final int RUNS = 36;
    private static final int MAX_DROPS = 3;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "100"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private final AtomicInteger drops = new AtomicInteger();
    private final AtomicInteger resumes = new AtomicInteger();
    private final AtomicInteger restarts = new AtomicInteger();
    private final AtomicInteger events = new AtomicInteger();
    private final List<String> wrong = Collections.synchronizedList(new ArrayList<>());

    @Test
    void clientsDroppingAtRandomPoints_reassembleEveryRunExactly() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                int index = i;
                runs.add(pool.submit(() -> {
                    chaos(index);
                    return null;
                }));
            }
            for (Future<?> run : runs) {
                run.get(120, TimeUnit.SECONDS);
            }
        }
        Figures.of("resume-chaos").put("runs", RUNS).put("drops", drops.get()).put("resumes", resumes.get())
                .put("start_resends", restarts.get()).put("events", events.get()).put("lost_duplicated_reordered", wrong.size())
                .print();
        assertThat(wrong).isEmpty();
        assertThat(drops.get()).isGreaterThanOrEqualTo(RUNS);
    }

    private void chaos(int index) {
        Random random = Seed.random("resume-chaos-" + index);
        String user = "chaos-" + (index % 12);
        String requestId = "chaos-" + index;
        String start = Frames.startAgent("wait " + (1 + random.nextInt(3)) + " seconds", null, requestId);
        int dropsLeft = 1 + random.nextInt(MAX_DROPS);
        List<JsonNode> assembled = new ArrayList<>();
        String run = null;
        boolean first = true;
        while (true) {
            RawSession session = RawSession.open(server, server.token(user));
            session.next(Duration.ofSeconds(10));
            if (run == null) {
                // Never saw run_accepted: resend the very same start; the answer is the same run, from seq 1.
                if (!first) {
                    restarts.incrementAndGet();
                }
                session.sendText(start);
            } else {
                resumes.incrementAndGet();
                int after = assembled.isEmpty() ? 0 : assembled.get(assembled.size() - 1).path("seq").asInt();
                session.sendText(Frames.resume(run, after, "resume-" + index));
            }
            first = false;
            boolean drop = dropsLeft > 0;
            // Where to drop: right away, after run_accepted, or after some events.
            // Where to drop: right away, after run_accepted, after some events, or after some time.
            int eventsBeforeDrop = drop ? random.nextInt(5) - 1 : Integer.MAX_VALUE;
            long dropAt = drop && random.nextInt(3) == 0 ? System.nanoTime() + random.nextInt(2_500) * 1_000_000L : Long.MAX_VALUE;
            boolean terminal = false;
            if (eventsBeforeDrop >= 0 || !drop) {
                int seen = 0;
                while (seen <= eventsBeforeDrop || !drop) {
                    JsonNode frame;
                    try {
                        long left = Math.min(Duration.ofSeconds(30).toNanos(), dropAt - System.nanoTime());
                        frame = session.next(Duration.ofNanos(Math.max(1_000_000, left)));
                    } catch (AssertionError timeout) {
                        if (dropAt == Long.MAX_VALUE) {
                            throw timeout;
                        }
                        break;
                    }
                    if (Frames.type(frame).equals("run_accepted")) {
                        if (run != null && !run.equals(frame.path("run_id").asText())) {
                            wrong.add(requestId + ": the resent start was accepted as another run " + frame);
                        }
                        run = frame.path("run_id").asText();
                        continue;
                    }
                    if (Frames.type(frame).equals("error")) {
                        wrong.add(requestId + ": " + frame);
                        break;
                    }
                    if (run != null && run.equals(frame.path("run_id").asText()) && frame.has("seq")) {
                        assembled.add(frame);
                        seen++;
                        if (WsClient.isTerminal(frame)) {
                            terminal = true;
                            break;
                        }
                    }
                }
            }
            session.close();
            if (terminal) {
                break;
            }
            drops.incrementAndGet();
            dropsLeft--;
            if (random.nextBoolean()) {
                sleepQuietly(random.nextInt(800));
            }
        }
        events.addAndGet(assembled.size());
        List<JsonNode> stored = Frames.stored(new Http(server, server.token(user)), run);
        if (!assembled.equals(stored)) {
            wrong.add(requestId + " (" + run + "): assembled seqs " + Frames.seqs(assembled) + ", stored " + Frames.seqs(stored));
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
