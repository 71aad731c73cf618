package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.Frames;
import dev.overseer.it.Http;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §5: thousands of generated hostile text frames over real connections are answered with error frames of
 * the codes §5 names, never {@code internal}; a connection is closed only with a code the protocol names (1007 for
 * a text frame that is not UTF-8, which RFC 6455 §8.1 requires and docs/websocket-protocol.md lists); and the
 * same server then runs a normal request to completion.
 */
class WsFuzzTest {
    private static final int WORKERS = 6;
    private static final int FRAMES_PER_WORKER = 420;
    private static final int PING_FLOOD = 150;
    private static final int START_FLOOD = 40;
    private static final Set<String> SPEC_ERROR_CODES = Set.of("invalid_json", "unknown_type", "invalid_message",
            "not_found", "thread_busy", "too_many_runs", "rate_limited", "run_not_active", "approval_not_pending",
            "unavailable", "internal");
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private final LongAdder frames = new LongAdder();
    private final Map<Integer, AtomicInteger> closes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> errors = new ConcurrentHashMap<>();
    private final List<String> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    private final LongAdder pongs = new LongAdder();
    private final LongAdder accepted = new LongAdder();
    private final LongAdder notJson = new LongAdder();

    @Test
    void hostileFrames_areAnsweredWithSpecErrors_neverInternal_andTheServerKeepsWorking() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(WORKERS)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int worker = w;
                workers.add(pool.submit(() -> {
                    fuzz(worker);
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(150, TimeUnit.SECONDS);
            }
        }

        // Afterwards, on the same server: a normal run completes.
        await().atMost(Duration.ofSeconds(30)).until(() -> server.server().runs().activeRuns() == 0);
        String output;
        try (WsClient client = WsClient.established(server, "after-fuzz")) {
            client.send(Frames.startAgent("What is 6*7?", null, "after"));
            String run = client.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> events = client.runEvents(run);
            Frames.assertComplete(events, "run_completed");
            output = events.get(events.size() - 1).path("payload").path("output").asText();
        }

        int internal = count(errors, "internal");
        Figures.of("ws-fuzz").put("frames", frames.sum()).put("closes", Figures.counts(new TreeMap<>(closes)))
                .put("errors", Figures.counts(new TreeMap<>(errors))).put("internal", internal)
                .put("pongs", pongs.sum()).put("runs_accepted", accepted.sum())
                .put("crashes", unexpected.size()).put("after_run", output.contains("42") ? "ok" : "wrong").print();

        assertThat(frames.sum()).isGreaterThanOrEqualTo(2_000);
        assertThat(unexpected).as("unexpected closes, codes or frames").isEmpty();
        assertThat(internal).as("internal error frames").isZero();
        assertThat(notJson.sum()).as("server frames that are not JSON").isZero();
        assertThat(errors.keySet()).as("error codes").isSubsetOf(SPEC_ERROR_CODES);
        assertThat(closes.keySet()).as("close codes").isSubsetOf(Set.of(1007));
        assertThat(output).contains("42");
    }

    private void fuzz(int worker) {
        String user = "fuzz-" + worker;
        Http http = new Http(server, server.token(user));
        String thread = http.createThread();
        JsonNode run = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 1+1?\"}").json();
        HostileFrames generator = new HostileFrames(Seed.random("ws-fuzz-" + worker), thread, run.path("id").asText());
        Random random = Seed.random("ws-fuzz-floods-" + worker);
        RawSession session = open(user);
        int syncs = 0;
        for (int i = 0; i < FRAMES_PER_WORKER; i++) {
            if (i % 140 == 70) {
                session = flood(session, user, random.nextBoolean());
            }
            HostileFrames.Hostile hostile = generator.next();
            session.send(WireFrames.frame(WireFrames.TEXT, true, hostile.payload()));
            frames.increment();
            if (hostile.expect() == HostileFrames.Expect.CLOSE_1007) {
                int code = session.closed().completeOnTimeout(0, 10, TimeUnit.SECONDS).join();
                closes.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
                if (code != 1007) {
                    unexpected.add(hostile.kind() + " closed with " + code + " instead of 1007");
                }
                drain(session, List.of());
                session.close();
                session = open(user);
            } else if (i % 50 == 49) {
                sync(session, user + "-" + syncs++, hostile.kind());
                if (session.closed().isDone()) {
                    unexpected.add(hostile.kind() + ": connection closed with " + session.closed().join());
                    session = open(user);
                }
            }
        }
        sync(session, user + "-last", "last");
        drain(session, List.of());
        notJson.add(session.notJson());
        session.close();
    }

    /** Floods the connection with pings (each must be answered) or starts (each accepted or refused). */
    private RawSession flood(RawSession session, String user, boolean pings) {
        int count = pings ? PING_FLOOD : START_FLOOD;
        for (int i = 0; i < count; i++) {
            session.sendText(pings ? Frames.ping() : Frames.startAgent("flood " + i, null, "flood-" + user + "-" + i));
            frames.increment();
        }
        List<JsonNode> received = sync(session, user + "-flood", pings ? "ping-flood" : "start-flood");
        if (pings) {
            long floodPongs = received.stream().filter(frame -> Frames.type(frame).equals("pong")).count();
            if (floodPongs < PING_FLOOD) {
                unexpected.add("ping flood of " + PING_FLOOD + " answered with " + floodPongs + " pongs");
            }
        }
        return session;
    }

    /**
     * Sends a cancel of a run that does not exist and reads up to its not_found answer: since frames are handled
     * in order, everything sent before it has been answered. Returns the frames before the answer.
     */
    private List<JsonNode> sync(RawSession session, String marker, String after) {
        List<JsonNode> received = new ArrayList<>();
        String requestId = "sync-" + marker;
        session.sendText(Frames.cancelRun("run_doesnotexist" + Math.abs(marker.hashCode()), requestId));
        try {
            while (true) {
                JsonNode frame = session.next(Duration.ofSeconds(30));
                if (Frames.type(frame).equals("error") && frame.path("request_id").asText().equals(requestId)) {
                    if (!frame.path("code").asText().equals("not_found")) {
                        unexpected.add("sync answered " + frame);
                    }
                    break;
                }
                received.add(frame);
                account(frame, after);
            }
        } catch (AssertionError e) {
            unexpected.add("no answer to the sync after " + after + ": " + e.getMessage());
        }
        return received;
    }

    private void drain(RawSession session, List<JsonNode> into) {
        while (true) {
            JsonNode frame;
            try {
                frame = session.next(Duration.ofMillis(200));
            } catch (AssertionError e) {
                return;
            }
            account(frame, "drain");
        }
    }

    private void account(JsonNode frame, String after) {
        switch (Frames.type(frame)) {
            case "error" -> {
                String code = frame.path("code").asText();
                errors.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
                if (code.equals("internal")) {
                    unexpected.add("internal after " + after + ": " + frame);
                }
                if (frame.path("message").asText().isBlank()) {
                    unexpected.add("error without message: " + frame);
                }
            }
            case "pong" -> pongs.increment();
            case "run_accepted" -> accepted.increment();
            default -> {
            }
        }
    }

    private static RawSession open(String user) {
        RawSession session = RawSession.open(server, server.token(user));
        JsonNode hello = session.next(Duration.ofSeconds(10));
        assertThat(Frames.type(hello)).isEqualTo("connection_established");
        return session;
    }

    private static int count(Map<String, AtomicInteger> counts, String key) {
        AtomicInteger value = counts.get(key);
        return value == null ? 0 : value.get();
    }
}
