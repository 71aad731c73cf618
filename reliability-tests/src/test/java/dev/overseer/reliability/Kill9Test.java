package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.Jwts;
import dev.overseer.it.TestDatabase;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * SPEC §2/§4: the fat jar, killed with SIGKILL while runs wait and while starts are being admitted, then started
 * again on the same data dir and database: every run that was active is failed {@code interrupted} with that
 * terminal event stored last, its thread takes a new run, and nothing committed before the kill is lost (threads,
 * messages, finished runs and their events, admitted runs).
 */
class Kill9Test {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int WAITING_RUNS = 6;
    private static final int FINISHED_RUNS = 4;
    private static final int BURST = 12;

    @Test
    void killedFatJar_failsItsActiveRunsAsInterrupted_andLosesNothingCommitted() throws Exception {
        Path jar = Path.of("..", "app", "target", "overseer.jar").toAbsolutePath().normalize();
        assertThat(Files.isRegularFile(jar)).as("the fat jar %s (built by app at package; run through the reactor "
                + "with -am)", jar).isTrue();
        Path dataDir = Files.createTempDirectory("overseer-kill9-");
        String databaseUrl = TestDatabase.newDatabaseUrl(dataDir);
        String token = Jwts.signed(TestServer.SECRET, "kill9-user");

        // First life: finished runs, waiting runs, then a burst of starts and the kill in the middle of it.
        int port = freePort();
        Process first = start(jar, dataDir, databaseUrl, port, "first");
        Map<String, JsonNode> finished = new LinkedHashMap<>();
        Map<String, String> waiting = new LinkedHashMap<>();
        List<String> admitted = new ArrayList<>();
        long killedAfterMs;
        try {
            awaitHealthy(first, port, dataDir.resolve("first.log"));
            for (int i = 0; i < FINISHED_RUNS; i++) {
                String thread = json(send(port, token, "POST", "/api/threads", "{\"title\":\"finished " + i + "\"}")).path("id").asText();
                JsonNode run = json(send(port, token, "POST", "/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is " + i + "*3?\"}"));
                assertThat(run.path("status").asText()).isEqualTo("completed");
                finished.put(run.path("id").asText(), json(send(port, token, "GET", "/api/runs/" + run.path("id").asText() + "/events", null)));
            }
            for (int i = 0; i < WAITING_RUNS; i++) {
                String thread = json(send(port, token, "POST", "/api/threads", "{}")).path("id").asText();
                JsonNode run = json(send(port, token, "POST", "/api/threads/" + thread + "/runs", "{\"content\":\"wait 30 seconds\"}"));
                waiting.put(run.path("id").asText(), thread);
            }
            for (String run : waiting.keySet()) {
                await("run " + run + " waits in its tool").atMost(Duration.ofSeconds(20)).until(() ->
                        StreamSupport.stream(json(send(port, token, "GET", "/api/runs/" + run + "/events", null)).path("data").spliterator(), false)
                                .anyMatch(event -> event.path("type").asText().equals("tool_executing")));
            }
            // A burst of starts (admissions being committed) with the kill landing among them.
            List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                burst.add(sendAsync(port, token, "POST", "/api/threads/" + newThread(port, token) + "/runs", "{\"content\":\"burst " + i + "\"}"));
            }
            Thread.sleep(Seed.random("kill9").nextInt(40));
            long killed = System.nanoTime();
            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("the child died").isTrue();
            killedAfterMs = (System.nanoTime() - killed) / 1_000_000;
            for (CompletableFuture<HttpResponse<String>> start : burst) {
                try {
                    HttpResponse<String> response = start.get(10, TimeUnit.SECONDS);
                    if (response.statusCode() == 202) {
                        admitted.add(json(response).path("id").asText());
                    }
                } catch (Exception e) {
                    // its answer was lost with the process: it may or may not have been admitted
                }
            }
        } finally {
            first.destroyForcibly();
        }

        // Second life, same data dir and database.
        int secondPort = freePort();
        Process second = start(jar, dataDir, databaseUrl, secondPort, "second");
        int interrupted = 0;
        int newRuns = 0;
        try {
            awaitHealthy(second, secondPort, dataDir.resolve("second.log"));
            for (Map.Entry<String, String> entry : waiting.entrySet()) {
                JsonNode run = json(send(secondPort, token, "GET", "/api/runs/" + entry.getKey(), null));
                assertThat(run.path("status").asText()).as("run %s", run).isEqualTo("failed");
                assertThat(run.path("error").path("code").asText()).as("run %s", run).isEqualTo("interrupted");
                assertEndsWith(secondPort, token, entry.getKey(), "run_failed", "interrupted");
                interrupted++;
                JsonNode again = json(send(secondPort, token, "POST", "/api/threads/" + entry.getValue() + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}"));
                assertThat(again.path("status").asText()).as("a new run on %s: %s", entry.getValue(), again).isEqualTo("completed");
                newRuns++;
            }
            for (Map.Entry<String, JsonNode> entry : finished.entrySet()) {
                assertThat(json(send(secondPort, token, "GET", "/api/runs/" + entry.getKey() + "/events", null)))
                        .as("events of the finished run %s", entry.getKey()).isEqualTo(entry.getValue());
                assertThat(json(send(secondPort, token, "GET", "/api/runs/" + entry.getKey(), null)).path("status").asText()).isEqualTo("completed");
            }
            for (String run : admitted) {
                JsonNode stored = json(send(secondPort, token, "GET", "/api/runs/" + run, null));
                assertThat(stored.path("id").asText()).as("admitted run %s survives", run).isEqualTo(run);
                assertThat(stored.path("status").asText()).as("run %s", stored).isIn("completed", "failed");
                String terminal = stored.path("status").asText().equals("completed") ? "run_completed" : "run_failed";
                if (terminal.equals("run_failed")) {
                    assertThat(stored.path("error").path("code").asText()).as("run %s", stored).isEqualTo("interrupted");
                    interrupted++;
                }
                assertEndsWith(secondPort, token, run, terminal, terminal.equals("run_failed") ? "interrupted" : null);
            }
            JsonNode threads = json(send(secondPort, token, "GET", "/api/threads?limit=100", null));
            assertThat(threads.path("data").size()).as("threads").isGreaterThanOrEqualTo(FINISHED_RUNS + WAITING_RUNS + admitted.size());
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }
        Figures.of("kill-9").put("waiting_runs", WAITING_RUNS).put("finished_runs", FINISHED_RUNS)
                .put("burst", BURST).put("admitted_in_burst", admitted.size()).put("interrupted", interrupted)
                .put("new_runs_on_their_threads", newRuns).put("kill_ms", killedAfterMs).put("lost", 0).print();
    }

    /** The run's stored events: seq 1..n, one terminal event, last, of this type (and code). */
    private static void assertEndsWith(int port, String token, String run, String type, String code) throws Exception {
        List<JsonNode> events = StreamSupport.stream(json(send(port, token, "GET", "/api/runs/" + run + "/events", null))
                .path("data").spliterator(), false).toList();
        assertThat(events.stream().map(event -> event.path("seq").asInt()).toList()).as("seq of %s", run)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events.stream().filter(WsClient::isTerminal)).as("terminal events of %s", run).hasSize(1);
        JsonNode last = events.get(events.size() - 1);
        assertThat(last.path("type").asText()).as("last event of %s", run).isEqualTo(type);
        if (code != null) {
            assertThat(last.path("payload").path("code").asText()).as("last event of %s", run).isEqualTo(code);
        }
    }

    private static Process start(Path jar, Path dataDir, String databaseUrl, int port, String name) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xmx256m", "-jar", jar.toString(), "serve")
                .redirectErrorStream(true).redirectOutput(dataDir.resolve(name + ".log").toFile());
        Map<String, String> env = builder.environment();
        env.put("OVERSEER_HOST", "127.0.0.1");
        env.put("OVERSEER_PORT", Integer.toString(port));
        env.put("OVERSEER_DATA_DIR", dataDir.toString());
        env.put("OVERSEER_JWT_SECRET", TestServer.SECRET);
        env.put("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "100");
        env.put("OVERSEER_RUN_START_BURST", "1000");
        // Both lives are one node restarted (SPEC §7): its second start fails the first's runs at once, where a node
        // of another name would leave them to the lease's expiry (ManyNodesTest).
        env.put("OVERSEER_NODE_ID", "node_kill9");
        if (TestDatabase.postgres()) {
            env.put("OVERSEER_DB_URL", databaseUrl);
            env.put("OVERSEER_DB_USER", TestDatabase.user());
            env.put("OVERSEER_DB_PASSWORD", "postgres");
        }
        return builder.start();
    }

    private static void awaitHealthy(Process process, int port, Path log) {
        await("the child server answers /healthz").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().failFast("the child server exited; see " + log, () -> !process.isAlive())
                .until(() -> send(port, null, "GET", "/healthz", null).statusCode() == 200);
    }

    private static String newThread(int port, String token) throws Exception {
        return json(send(port, token, "POST", "/api/threads", "{}")).path("id").asText();
    }

    private static HttpRequest request(int port, String token, String method, String path, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            builder.header("Content-Type", "application/json");
        }
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder.build();
    }

    private static HttpResponse<String> send(int port, String token, String method, String path, String body) throws Exception {
        return CLIENT.send(request(port, token, method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(int port, String token, String method, String path, String body) {
        return CLIENT.sendAsync(request(port, token, method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return WsClient.JSON.readTree(response.body());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
