package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** What survives a restart, and what becomes of runs a stopped or killed process left active (SPEC §4). */
class RestartTest {

    @Test
    void restart_keepsThreadMessagesRunAndEvents_andTokensMintedBeforeStillWork() throws Exception {
        try (TestServer server = TestServer.start()) {
            String token = server.token("restart-user");
            String thread;
            String run;
            List<JsonNode> live;
            try (WsClient client = WsClient.connect(server, token)) {
                client.next();
                client.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"before-restart\"}");
                JsonNode accepted = client.next();
                run = accepted.path("run_id").asText();
                thread = accepted.path("thread_id").asText();
                live = client.runEvents(run);
            }
            assertThat(live.get(live.size() - 1).path("type").asText()).isEqualTo("run_completed");
            Http http = new Http(server, token);
            JsonNode threadBefore = http.get("/api/threads/" + thread).json();
            JsonNode messagesBefore = http.get("/api/threads/" + thread + "/messages").json();
            JsonNode runBefore = http.get("/api/runs/" + run).json();
            assertThat(http.get("/api/runs/" + run + "/events").json().path("data")).containsExactlyElementsOf(live);

            server.restart();

            // The same Http client follows the server to its new port; the token is from before the restart.
            assertThat(http.get("/api/threads/" + thread).json()).isEqualTo(threadBefore);
            JsonNode messagesAfter = http.get("/api/threads/" + thread + "/messages").json();
            assertThat(messagesAfter).isEqualTo(messagesBefore);
            assertThat(messagesAfter.path("data")).extracting(message -> message.path("role").asText())
                    .containsExactly("user", "assistant");
            assertThat(messagesAfter.path("data").get(0).path("content").asText()).isEqualTo("What is 6*7?");
            assertThat(messagesAfter.path("data").get(1).path("content").asText()).contains("42");
            JsonNode runAfter = http.get("/api/runs/" + run).json();
            assertThat(runAfter).isEqualTo(runBefore);
            assertThat(runAfter.path("status").asText()).isEqualTo("completed");
            assertThat(runAfter.path("origin").asText()).isEqualTo("websocket");
            assertThat(http.get("/api/runs/" + run + "/events").json().path("data")).containsExactlyElementsOf(live);
            assertThat(http.get("/api/threads").json().path("data")).extracting(item -> item.path("id").asText())
                    .containsExactly(thread);

            try (WsClient client = WsClient.connect(server, token)) {
                assertThat(client.next().path("user_id").asText()).isEqualTo("restart-user");
                client.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":0}");
                assertThat(client.runEvents(run)).containsExactlyElementsOf(live);
                client.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":3}");
                assertThat(client.runEvents(run)).containsExactlyElementsOf(live.subList(3, live.size()));

                // The thread goes on where it stopped.
                client.send("{\"type\":\"start_agent\",\"content\":\"What is 5*5?\",\"thread_id\":\"" + thread
                        + "\",\"request_id\":\"after-restart\"}");
                JsonNode accepted = client.nextOfType("run_accepted");
                assertThat(accepted.path("thread_id").asText()).isEqualTo(thread);
                List<JsonNode> events = client.runEvents(accepted.path("run_id").asText());
                assertThat(events.get(events.size() - 1).path("payload").path("output").asText()).contains("25");
            }
            assertThat(http.get("/api/threads/" + thread + "/messages").json().path("data"))
                    .extracting(message -> message.path("role").asText())
                    .containsExactly("user", "assistant", "user", "assistant");
        }
    }

    @Test
    void stop_withARunStillActiveAfterTheGracePeriod_failsItAsInterrupted() throws Exception {
        try (TestServer server = TestServer.start()) {
            String token = server.token("graceful-user");
            String run;
            List<JsonNode> received = new ArrayList<>();
            try (WsClient client = WsClient.connect(server, token)) {
                client.next();
                client.send("{\"type\":\"start_agent\",\"content\":\"wait 30 seconds\",\"request_id\":\"long\"}");
                run = client.next().path("run_id").asText();
                String runId = run;
                received.addAll(client.until(frame -> frame.path("type").asText().equals("tool_executing")
                        && frame.path("run_id").asText().equals(runId)));

                // The grace period (2 s in tests) is far shorter than the run: close() must stop it.
                server.restart();

                assertThat(client.closeCode().get(15, TimeUnit.SECONDS)).as("close code").isEqualTo(1001);
                received.addAll(client.drain());
            }
            List<JsonNode> live = received.stream()
                    .filter(frame -> frame.has("seq") && frame.path("run_id").asText().equals(run))
                    .toList();

            Http http = new Http(server, token);
            JsonNode stored = http.get("/api/runs/" + run).json();
            assertInterrupted(stored);
            List<JsonNode> events = assertEndsInterrupted(http, run);
            // Every event the client saw live before the socket closed is stored exactly so, the terminal one included.
            assertThat(live).isNotEmpty();
            assertThat(live.get(live.size() - 1).path("type").asText()).isEqualTo("run_failed");
            assertThat(events).containsExactlyElementsOf(live);
        }
    }

    /**
     * A real crash: the server runs in a child JVM that is killed with SIGKILL while its run waits, so nothing of
     * the graceful stop runs; the next start must find the run and fail it as interrupted.
     */
    @Test
    void killedProcess_leavesItsActiveRunFailedAsInterrupted_atTheNextStart() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-it-killed-");
        String databaseUrl = TestDatabase.newDatabaseUrl(dataDir);
        String token = Jwts.signed(TestServer.SECRET, "killed-user");
        String thread;
        String run;
        List<JsonNode> seenLive;
        // The next start is the same node restarted, so it fails this one's runs at once (SPEC §7).
        try (NodeProcess child = NodeProcess.start("killed-server", dataDir, databaseUrl,
                Map.of("OVERSEER_NODE_ID", "node_restarted"))) {
            child.awaitHealthy();
            thread = child.json(token, "POST", "/api/threads", "{}").path("id").asText();
            run = child.json(token, "POST", "/api/threads/" + thread + "/runs", "{\"content\":\"wait 30 seconds\"}")
                    .path("id").asText();
            assertThat(run).startsWith("run_");
            String runId = run;
            seenLive = await("the run reaches its wait tool").atMost(Duration.ofSeconds(15))
                    .until(() -> child.events(token, runId), events -> events.stream()
                            .anyMatch(event -> event.path("type").asText().equals("tool_executing")));
            child.kill();
        }

        try (TestServer next = TestServer.start(Map.of(
                "OVERSEER_DATA_DIR", dataDir.toString(),
                "OVERSEER_DB_URL", databaseUrl,
                "OVERSEER_NODE_ID", "node_restarted"))) {
            Http http = new Http(next, token);
            assertInterrupted(http.get("/api/runs/" + run).json());
            List<JsonNode> events = assertEndsInterrupted(http, run);
            // What the dead process stored is what it had sent; the recovery only appended the terminal event.
            for (JsonNode event : events.subList(0, events.size() - 1)) {
                int seq = event.path("seq").asInt();
                if (seq <= seenLive.size()) {
                    assertThat(event).as("event %s", seq).isEqualTo(seenLive.get(seq - 1));
                }
            }
            assertThat(http.get("/api/threads/" + thread + "/messages").json().path("data"))
                    .extracting(message -> message.path("content").asText())
                    .startsWith("wait 30 seconds");
            // The listing is the threads as the recovery left them.
            JsonNode stored = http.get("/api/threads/" + thread).json();
            assertThat(http.get("/api/threads").json().path("data")).singleElement()
                    .satisfies(listed -> assertThat(listed).isEqualTo(stored));

            // The dead run no longer holds the thread.
            Http.Response again = http.post("/api/threads/" + thread + "/runs?wait=true",
                    "{\"content\":\"What is 6*7?\"}");
            assertThat(again.status()).as("a new run on the thread: %s", again.body()).isEqualTo(200);
            assertThat(again.json().path("status").asText()).isEqualTo("completed");
        }
    }

    private static void assertInterrupted(JsonNode run) {
        assertThat(run.path("status").asText()).as("run %s", run).isEqualTo("failed");
        assertThat(run.path("error").path("code").asText()).as("run %s", run).isEqualTo("interrupted");
        assertThat(run.path("error").path("message").asText()).as("run %s", run).isNotBlank();
        assertThat(run.path("finished_at").isTextual()).as("run %s", run).isTrue();
    }

    /** The run's stored events: gapless from 1, exactly one terminal event, and that one run_failed / interrupted. */
    private static List<JsonNode> assertEndsInterrupted(Http http, String run) {
        List<JsonNode> events = StreamSupport.stream(
                http.get("/api/runs/" + run + "/events").json().path("data").spliterator(), false).toList();
        assertThat(events).extracting(event -> event.path("seq").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events).filteredOn(WsClient::isTerminal).hasSize(1);
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("type").asText()).as("last event %s", last).isEqualTo("run_failed");
        assertThat(last.path("payload").path("code").asText()).as("last event %s", last).isEqualTo("interrupted");
        assertThat(last.path("run_id").asText()).isEqualTo(run);
        return events;
    }
}
