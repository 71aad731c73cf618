package dev.overseer.it;

import static dev.overseer.it.Frames.assertComplete;
import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading while its runs produce a lot of output is disconnected (1013) once its bounded
 * outbound queue (1 MiB here) overflows, instead of the server buffering without end; other clients stream
 * on, and the slow one can reconnect and resume from the database (SPEC §5).
 */
class BackpressureTest {
    /** Each run echoes this back twice (agent_completed and run_completed): about 180 KB of events per run. */
    private static final String BIG = "x".repeat(90_000);
    private static final int SLOW_RUNS = 30;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of(
                "OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "100",
                "OVERSEER_WS_MAX_MESSAGE_BYTES", "262144"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void clientThatStopsReading_isClosedWith1013_othersStreamOn_andItCanResumeFromTheDatabase() throws Exception {
        List<String> slowTexts = new ArrayList<>();
        RawWebSocket.Frame close;
        try (RawWebSocket slow = RawWebSocket.connect(server, server.token("slow-reader"), 4_096);
                WsClient fast = WsClient.connect(server, server.token("fast-reader"))) {
            assertThat(slow.status()).isEqualTo(101);
            assertThat(type(WsClient.JSON.readTree(slow.read(Duration.ofSeconds(5)).text())))
                    .isEqualTo("connection_established");
            fast.next();

            // The slow client has read its greeting and reads nothing more; it only sends.
            for (int i = 0; i < SLOW_RUNS; i++) {
                slow.sendText(Frames.startAgent(BIG + " slow " + i, null, "slow-" + i));
                if (i < 3) {
                    fast.send(Frames.startAgent(BIG + " fast " + i, null, "fast-" + i));
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> openConnectionsOf("slow-reader") == 0);

            // The other user's runs were not held up: each arrives complete.
            List<JsonNode> frames = new ArrayList<>();
            while (frames.stream().filter(WsClient::isTerminal).count() < 3) {
                frames.add(fast.next());
            }
            List<JsonNode> accepted = frames.stream().filter(frame -> type(frame).equals("run_accepted")).toList();
            assertThat(accepted).extracting(frame -> frame.path("request_id").asText())
                    .containsExactly("fast-0", "fast-1", "fast-2");
            for (int i = 0; i < 3; i++) {
                String run = accepted.get(i).path("run_id").asText();
                List<JsonNode> events = frames.stream()
                        .filter(frame -> frame.has("seq") && frame.path("run_id").asText().equals(run))
                        .toList();
                assertComplete(events, "run_completed");
                assertThat(events.get(events.size() - 1).path("payload").path("output").asText()).endsWith("fast " + i);
            }

            // Once it reads again, the slow client finds the close code at the end of what had been sent.
            close = slow.readUntilClosed(Duration.ofSeconds(20), frame -> {
                if (frame.opcode() == RawWebSocket.TEXT) {
                    slowTexts.add(frame.text());
                }
            });
        }
        List<JsonNode> slowFrames = new ArrayList<>();
        for (String text : slowTexts) {
            slowFrames.add(WsClient.JSON.readTree(text));
        }
        assertThat(close).as("the close frame after what had been sent").isNotNull();
        assertThat(close.closeCode()).isEqualTo(1013);
        // It never got everything: what did not fit in the queue was dropped with the connection.
        assertThat(slowFrames.size()).isLessThan(SLOW_RUNS * 5);

        // The slow client reconnects and resumes its first run from the database.
        Http http = new Http(server, server.token("slow-reader"));
        assertEveryRunCompleted(http, SLOW_RUNS);
        String firstRun = slowFrames.stream()
                .filter(frame -> type(frame).equals("run_accepted") && frame.path("request_id").asText().equals("slow-0"))
                .map(frame -> frame.path("run_id").asText())
                .findFirst().orElse("");
        assertThat(firstRun).as("the run_accepted of the first start reached the client").startsWith("run_");
        await().atMost(Duration.ofSeconds(20))
                .until(() -> Frames.run(http, firstRun).path("status").asText().equals("completed"));
        try (WsClient again = WsClient.connect(server, server.token("slow-reader"))) {
            again.next();
            again.send(Frames.resume(firstRun, 0, "catch-up"));
            List<JsonNode> events = again.runEvents(firstRun);
            assertComplete(events, "run_completed");
            assertThat(events.get(events.size() - 1).path("payload").path("output").asText()).endsWith("slow 0");
            assertThat(events).containsExactlyElementsOf(Frames.stored(http, firstRun));
        }
    }

    @Test
    void rawClientThatNeverReads_leavesTheRegistry_whileItsRunsComplete() {
        String user = "raw-non-reader";
        try (RawWebSocket raw = RawWebSocket.connect(server, server.token(user), 4_096)) {
            assertThat(raw.status()).isEqualTo(101);
            await().atMost(Duration.ofSeconds(5)).until(() -> openConnectionsOf(user) == 1);
            for (int i = 0; i < SLOW_RUNS; i++) {
                raw.sendText(Frames.startAgent(BIG + " raw " + i, null, "raw-" + i));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> openConnectionsOf(user) == 0);
        }
        // Its runs did not depend on the socket: every one of them completes, even the one whose event overflowed.
        assertEveryRunCompleted(new Http(server, server.token(user)), SLOW_RUNS);
    }

    /**
     * Each of the user's threads holds one run, completed, with the answer stored. Starts the client sent after
     * it was cut off were never read, so there may be fewer runs than starts, but never fewer than it took to
     * overflow the queue.
     */
    private static void assertEveryRunCompleted(Http http, int starts) {
        await().atMost(Duration.ofSeconds(20)).until(() -> server.server().runs().activeRuns() == 0);
        JsonNode threads = http.get("/api/threads?limit=100").json().path("data");
        assertThat(threads.size()).isBetween(6, starts);
        for (JsonNode thread : threads) {
            JsonNode messages = http.get("/api/threads/" + thread.path("id").asText() + "/messages").json().path("data");
            String run = messages.get(0).path("run_id").asText();
            assertThat(Frames.run(http, run).path("status").asText()).as("status of %s", run).isEqualTo("completed");
            assertThat(messages).as("messages of %s", run).hasSize(2);
        }
    }

    private static long openConnectionsOf(String user) {
        return server.server().webSockets().connections().openContexts().stream()
                .filter(context -> context.userId().value().equals(user))
                .count();
    }
}
