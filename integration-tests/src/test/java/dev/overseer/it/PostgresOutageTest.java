package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stopped for 10 s under a server that runs on it, then started again (SPEC §6, §5, ADR 0019 and
 * docs/configuration.md, "When the database cannot be reached"): calls are answered {@code unavailable}
 * within the documented bound, runs in flight end cleanly with every event stored, and the server recovers
 * without a restart. PostgreSQL only: an embedded H2 cannot be taken away from its process.
 */
class PostgresOutageTest {
    /** The bound docs/configuration.md states for an answer while the database cannot be reached. */
    private static final Duration BOUND = Duration.ofSeconds(3);
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    private static final int HTTP_CALLERS = 8;

    private record Probe(Http.Response response, long millis) {
    }

    @Test
    void anOutage_isAnsweredUnavailableWithinTheBound_andRunsInFlightEndWithEveryEventOnceItIsBack()
            throws Exception {
        assumeTrue(TestDatabase.postgres(), "skipped: the outage test stops a PostgreSQL; this run is on H2");
        Path data = Files.createTempDirectory("overseer-outage-pg-");
        int port = freePort();
        EmbeddedPostgres postgres = postgres(data, port);
        try (TestServer server = TestServer.start(Map.of(
                "OVERSEER_DB_URL", "jdbc:postgresql://localhost:" + port + "/postgres",
                "OVERSEER_DB_USER", "postgres"))) {
            String token = server.token("outage-user");
            Http http = new Http(server, token);
            Http anonymous = new Http(server, null);
            String thread = http.createThread();
            try (WsClient client = WsClient.connect(server, token)) {
                client.next();
                // Runs that are executing when the database goes away; every frame of theirs is kept.
                List<JsonNode> frames = new ArrayList<>();
                List<String> inFlight = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    client.send("{\"type\":\"start_agent\",\"content\":\"wait 2 seconds\",\"request_id\":\"flight-" + i
                            + "\"}");
                    inFlight.add(client.nextOfType("run_accepted", frames).path("run_id").asText());
                }

                // Each HTTP caller is a user of its own, so that no per-user limit answers before the database.
                List<Http> callerHttp = new ArrayList<>();
                List<String> callerThreads = new ArrayList<>();
                for (int c = 0; c < HTTP_CALLERS; c++) {
                    Http caller = new Http(server, server.token("outage-caller-" + c));
                    callerHttp.add(caller);
                    callerThreads.add(caller.createThread());
                }

                postgres.close();
                long stopped = System.nanoTime();
                long until = stopped + OUTAGE.toNanos();
                // Callers at once over HTTP, each alternating a read and a start, while this thread probes the
                // WebSocket and /readyz.
                List<Probe> answers = Collections.synchronizedList(new ArrayList<>());
                List<Thread> callers = new ArrayList<>();
                for (int c = 0; c < HTTP_CALLERS; c++) {
                    Http caller = callerHttp.get(c);
                    String callerThread = callerThreads.get(c);
                    callers.add(Thread.ofVirtual().start(() -> {
                        for (int i = 0; System.nanoTime() < until; i++) {
                            long started = System.nanoTime();
                            Http.Response response = i % 2 == 0 ? caller.get("/api/threads")
                                    : caller.post("/api/threads/" + callerThread + "/runs", "{\"content\":\"What is 6*7?\"}");
                            answers.add(new Probe(response, (System.nanoTime() - started) / 1_000_000));
                        }
                    }));
                }
                long slowestMillis = 0;
                int readyProbes = 0;
                List<JsonNode> errors = new ArrayList<>();
                int wsProbes = 0;
                while (System.nanoTime() < until) {
                    assertThat(anonymous.get("/readyz").status()).isEqualTo(503);
                    readyProbes++;
                    long wsStarted = System.nanoTime();
                    client.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"outage-"
                            + wsProbes + "\"}");
                    JsonNode error = nextOfType(client, "error", frames);
                    long wsMillis = (System.nanoTime() - wsStarted) / 1_000_000;
                    slowestMillis = Math.max(slowestMillis, wsMillis);
                    assertThat(wsMillis).isLessThan(BOUND.toMillis());
                    assertThat(error.path("request_id").asText()).isEqualTo("outage-" + wsProbes);
                    errors.add(error);
                    wsProbes++;
                }
                for (Thread caller : callers) {
                    caller.join();
                }
                assertThat(answers).isNotEmpty().allSatisfy(probe -> {
                    Http.Response response = probe.response();
                    assertThat(response.status()).as(response.body()).isEqualTo(503);
                    assertThat(response.raw().headers().firstValue("Content-Type")).hasValue("application/problem+json");
                    assertThat(response.raw().headers().firstValue("Retry-After")).hasValue("2");
                    assertThat(response.json().path("code").asText()).isEqualTo("unavailable");
                    assertThat(response.json().path("detail").asText())
                            .isEqualTo("the database cannot be reached; try again later");
                    assertThat(probe.millis()).isLessThan(BOUND.toMillis());
                });
                for (Probe probe : answers) {
                    slowestMillis = Math.max(slowestMillis, probe.millis());
                }
                int probes = answers.size();
                assertThat(errors).allSatisfy(error -> {
                    assertThat(error.path("code").asText()).isEqualTo("unavailable");
                    assertThat(error.path("retry_after_ms").asLong()).isEqualTo(2000);
                });

                postgres = postgres(data, port);
                long restarted = System.nanoTime();
                while (http.get("/api/threads").status() != 200) {
                    Thread.sleep(50);
                }
                long recoveryMillis = (System.nanoTime() - restarted) / 1_000_000;
                assertThat(anonymous.get("/readyz").status()).isEqualTo(200);

                // Every run in flight ends as it would have, and what the client saw is what is stored.
                while (inFlight.stream().anyMatch(run -> !endedIn(frames, run))) {
                    frames.add(client.next());
                }
                int events = 0;
                for (String run : inFlight) {
                    List<JsonNode> live = frames.stream()
                            .filter(frame -> run.equals(frame.path("run_id").asText()) && frame.has("seq"))
                            .toList();
                    assertThat(live.get(live.size() - 1).path("type").asText()).isEqualTo("run_completed");
                    assertThat(http.get("/api/runs/" + run + "/events").json().path("data"))
                            .containsExactlyElementsOf(live);
                    assertThat(http.get("/api/runs/" + run).json().path("status").asText()).isEqualTo("completed");
                    events += live.size();
                }

                // And the server works on, without a restart.
                client.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"after\"}");
                String after = client.nextOfType("run_accepted").path("run_id").asText();
                List<JsonNode> afterEvents = client.runEvents(after);
                assertThat(afterEvents.get(afterEvents.size() - 1).path("type").asText()).isEqualTo("run_completed");
                assertThat(http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}")
                        .status()).isEqualTo(200);

                System.out.printf("reliability: pg-outage [pg]: outage_s=%d, http_probes=%d, ws_probes=%d, readyz_probes=%d, "
                                + "slowest_answer_ms=%d, bound_ms=%d, in_flight_runs=%d, their_events=%d, lost=0, "
                                + "recovery_ms=%d%n",
                        OUTAGE.toSeconds(), probes, wsProbes, readyProbes, slowestMillis, BOUND.toMillis(), inFlight.size(), events,
                        recoveryMillis);
            }
        } finally {
            postgres.close();
        }
    }

    private static boolean endedIn(List<JsonNode> frames, String run) {
        return frames.stream().anyMatch(frame -> run.equals(frame.path("run_id").asText()) && WsClient.isTerminal(frame));
    }

    /** The next frame of this type; every other frame is kept in {@code others}. */
    private static JsonNode nextOfType(WsClient client, String type, List<JsonNode> others) {
        while (true) {
            JsonNode frame = client.next(BOUND.plusSeconds(2));
            if (frame.path("type").asText().equals(type)) {
                return frame;
            }
            others.add(frame);
        }
    }

    /** A PostgreSQL on this data directory and port; the same two start it again on the same data. */
    private static EmbeddedPostgres postgres(Path data, int port) throws IOException {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
