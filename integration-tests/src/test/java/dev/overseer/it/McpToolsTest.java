package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tools of real MCP servers that nobody here wrote: the reference {@code @modelcontextprotocol/server-everything}
 * (pinned in {@code integration-tests/mcp/package-lock.json}), over stdio as Overseer's child process and over
 * Streamable HTTP as a server of its own, driven through a real Overseer process with the offline model's
 * {@code use TOOL {json}} (SPEC §4, §8).
 */
class McpToolsTest {
    static final Path EVERYTHING = Path.of("mcp", "node_modules", ".bin", "mcp-server-everything").toAbsolutePath();
    private static final String USER = "alice";

    private static Process httpServer;
    private static NodeProcess node;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(EVERYTHING), "SKIPPED: the MCP tests need "
                + EVERYTHING + "; run `npm ci --prefix integration-tests/mcp` (scripts/test does it where npm exists)");
        int mcpPort = NodeProcess.freePort();
        Path dataDir = Files.createTempDirectory("overseer-mcp-");
        ProcessBuilder everythingOverHttp = new ProcessBuilder(EVERYTHING.toString(), "streamableHttp")
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("everything-http.log").toFile());
        everythingOverHttp.environment().put("PORT", Integer.toString(mcpPort));
        httpServer = everythingOverHttp.start();
        Path agents = dataDir.resolve("agents.json");
        Files.writeString(agents, """
                {"mcp_servers": {
                   "everything": {"command": "%s", "env": {"GREETING": "${MCP_TEST_GREETING}"}, "timeout_seconds": 20},
                   "remote": {"url": "http://127.0.0.1:%d/mcp", "headers": {"X-Test": "${MCP_TEST_GREETING}"}},
                   "absent": {"command": "/nonexistent/mcp-server"}
                 },
                 "agents": [{"name": "supervisor", "tools": ["calculator", "wait", "everything__*", "remote__echo"]}]}
                """.formatted(EVERYTHING, mcpPort));
        await("the Streamable HTTP server listens").atMost(Duration.ofSeconds(30))
                .until(() -> portOpen(mcpPort) || !httpServer.isAlive());
        node = NodeProcess.start("mcp", dataDir, TestDatabase.newDatabaseUrl(dataDir), Map.of(
                "OVERSEER_AGENTS_FILE", agents.toString(),
                "MCP_TEST_GREETING", "hello",
                "OVERSEER_LLM_API_KEY_UNUSED_SECRET", "sk-must-not-leak")).awaitHealthy();
        token = Jwts.signed(TestServer.SECRET, USER);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (node != null) {
            node.close();
        }
        if (httpServer != null) {
            httpServer.destroy();
            httpServer.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static boolean portOpen(int port) {
        try {
            new java.net.Socket("127.0.0.1", port).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static WsClient connect() {
        WsClient client = WsClient.connect(node.ws(), token);
        assertThat(client.next().path("type").asText()).isEqualTo("connection_established");
        return client;
    }

    /** Starts a run with {@code content} and returns every event it sends, to the terminal one. */
    private static List<JsonNode> run(WsClient client, String content) {
        client.send(WsClient.JSON.createObjectNode().put("type", "start_agent").put("content", content));
        JsonNode accepted = client.nextOfType("run_accepted");
        List<JsonNode> events = client.runEvents(accepted.path("run_id").asText());
        assertThat(events).extracting(event -> event.path("seq").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
        return events;
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(event -> event.path("type").asText()).toList();
    }

    private static JsonNode ofType(List<JsonNode> events, String type) {
        return events.stream().filter(event -> event.path("type").asText().equals(type)).findFirst().orElseThrow();
    }

    /** The payload of the run's {@code tool_completed}, which must have no error. */
    private static JsonNode succeeded(List<JsonNode> events) {
        JsonNode completed = ofType(events, "tool_completed").path("payload");
        assertThat(completed.path("error").isNull()).as("%s", completed).isTrue();
        return completed;
    }

    @Test
    void echo_overStdio_isAToolOfTheAgent_andItsResultIsTheRunsAnswer() {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client, "use everything__echo {\"message\":\"hi from overseer\"}");

            assertThat(types(events)).containsExactly("agent_started", "agent_thinking", "tool_executing",
                    "tool_completed", "agent_completed", "run_completed");
            JsonNode completed = succeeded(events);
            assertThat(completed.path("tool").asText()).isEqualTo("everything__echo");
            assertThat(completed.path("result").asText()).contains("hi from overseer");
            assertThat(ofType(events, "run_completed").path("payload").path("output").asText())
                    .contains("hi from overseer");
        }
    }

    @Test
    void concurrentRunsOfTwoUsers_shareTheServer_andEachGetsOnlyItsOwnResult() throws Exception {
        String other = Jwts.signed(TestServer.SECRET, "bob");
        List<CompletableFuture<String>> outputs = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                WsClient client = WsClient.connect(node.ws(), i % 2 == 0 ? token : other);
                assertThat(client.next().path("type").asText()).isEqualTo("connection_established");
                clients.add(client);
                String message = (i % 2 == 0 ? "alice-" : "bob-") + i + "-" + UUID.randomUUID();
                messages.add(message);
                client.send(WsClient.JSON.createObjectNode().put("type", "start_agent")
                        .put("content", "use everything__echo {\"message\":\"" + message + "\"}"));
            }
            for (WsClient client : clients) {
                outputs.add(CompletableFuture.supplyAsync(() -> {
                    List<JsonNode> events = client.runEvents(client.nextOfType("run_accepted").path("run_id").asText());
                    return succeeded(events).path("result").asText();
                }));
            }
            for (int i = 0; i < clients.size(); i++) {
                String result = outputs.get(i).get(30, TimeUnit.SECONDS);
                assertThat(result).contains(messages.get(i));
                for (int j = 0; j < messages.size(); j++) {
                    if (j != i) {
                        assertThat(result).doesNotContain(messages.get(j));
                    }
                }
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void getSum_ofTwoAndThree_isFive() {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client, "use everything__get-sum {\"a\":2,\"b\":3}");

            assertThat(succeeded(events).path("result").toString()).contains("5");
            assertThat(ofType(events, "run_completed").path("payload").path("output").asText()).contains("5");
        }
    }

    @Test
    void getEnv_showsOnlyTheConfiguredVariablesAndPathAndHome_neverOverseersSecrets() throws Exception {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client, "use everything__get-env {}");

            String text = ofType(events, "tool_completed").path("payload").path("result").asText();
            JsonNode env = WsClient.JSON.readTree(text);
            Set<String> names = new HashSet<>();
            env.fieldNames().forEachRemaining(names::add);
            assertThat(env.path("GREETING").asText()).isEqualTo("hello");
            assertThat(names).contains("PATH", "GREETING");
            assertThat(names).isSubsetOf("PATH", "HOME", "GREETING");
            assertThat(text).doesNotContain(TestServer.SECRET).doesNotContain("sk-must-not-leak")
                    .doesNotContain("OVERSEER_");
        }
    }

    @Test
    void longRunningOperation_reportsProgressInOrder_beforeItsResult() {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client,
                    "use everything__trigger-long-running-operation {\"duration\":1,\"steps\":4}");

            assertThat(types(events)).containsSubsequence("tool_executing", "tool_progress", "tool_progress",
                    "tool_progress", "tool_progress", "tool_completed", "run_completed");
            List<JsonNode> progress = events.stream().filter(event -> event.path("type").asText().equals("tool_progress"))
                    .map(event -> event.path("payload")).toList();
            assertThat(progress).extracting(payload -> payload.path("progress").asInt()).containsExactly(1, 2, 3, 4);
            assertThat(progress).allSatisfy(payload -> {
                assertThat(payload.path("total").asInt()).isEqualTo(4);
                assertThat(payload.path("tool_call_id").asText())
                        .isEqualTo(ofType(events, "tool_executing").path("payload").path("tool_call_id").asText());
            });
        }
    }

    @Test
    void cancellingARunMidCall_endsItAtOnce() {
        try (WsClient client = connect()) {
            client.send(WsClient.JSON.createObjectNode().put("type", "start_agent")
                    .put("content", "use everything__trigger-long-running-operation {\"duration\":30,\"steps\":30}"));
            String run = client.nextOfType("run_accepted").path("run_id").asText();
            client.nextOfType("tool_progress");
            long cancelled = System.nanoTime();
            client.send(WsClient.JSON.createObjectNode().put("type", "cancel_run").put("run_id", run));

            JsonNode terminal = client.nextOfType("run_cancelled");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelled);
            System.out.printf("[mcp] a run cancelled during a 30 s MCP call ended %d ms after cancel_run%n", millis);
            assertThat(terminal.path("run_id").asText()).isEqualTo(run);
            assertThat(millis).isLessThan(2_000);
        }
    }

    @Test
    void tinyImage_isDescribed_notPassedOnAsBase64() {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client, "use everything__get-tiny-image {}");

            String result = ofType(events, "tool_completed").path("payload").path("result").asText();
            assertThat(result).contains("[image image/png").contains("bytes, not shown]");
            assertThat(result.length()).isLessThan(2_000);
        }
    }

    @Test
    void echo_overStreamableHttp_works() {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client, "use remote__echo {\"message\":\"over http\"}");

            assertThat(succeeded(events).path("result").asText()).contains("over http");
        }
    }

    @Test
    void aToolTheAgentMayNotUse_failsTheRunWithUnknownTool() {
        try (WsClient client = connect()) {
            List<JsonNode> events = run(client, "use remote__get-env {}");

            assertThat(ofType(events, "run_failed").path("payload").path("code").asText()).isEqualTo("unknown_tool");
        }
    }

    @Test
    void readyz_reportsEachServer_andAServerThatNeverStartedDoesNotStopOverseer() throws Exception {
        JsonNode ready = WsClient.JSON.readTree(node.send(null, "GET", "/readyz", null).body());

        assertThat(ready.path("status").asText()).isEqualTo("ok");
        assertThat(ready.path("mcp").path("everything").asText()).isEqualTo("connected");
        assertThat(ready.path("mcp").path("remote").asText()).isEqualTo("connected");
        assertThat(ready.path("mcp").path("absent").asText()).isIn("connecting", "disconnected");
    }

    @Test
    void aServerKilledMidCall_failsThatCall_andIsConnectedAgainForTheNext() throws Exception {
        try (WsClient client = connect()) {
            client.send(WsClient.JSON.createObjectNode().put("type", "start_agent")
                    .put("content", "use everything__trigger-long-running-operation {\"duration\":20,\"steps\":20}"));
            String run = client.nextOfType("run_accepted").path("run_id").asText();
            client.nextOfType("tool_progress");
            List<ProcessHandle> children = node.process().descendants()
                    .filter(handle -> handle.info().commandLine().orElse("").contains("server-everything"))
                    .toList();
            assertThat(children).isNotEmpty();
            children.forEach(ProcessHandle::destroyForcibly);

            JsonNode terminal = client.until(frame -> WsClient.isTerminal(frame)).getLast();
            assertThat(terminal.path("run_id").asText()).isEqualTo(run);
            assertThat(terminal.path("type").asText()).isEqualTo("run_completed");
            List<JsonNode> events = node.events(token, run);
            String error = ofType(events, "tool_completed").path("payload").path("error").asText();
            assertThat(error).contains("everything");

            await("the server is connected again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> WsClient.JSON.readTree(node.send(null, "GET", "/readyz", null).body())
                            .path("mcp").path("everything").asText().equals("connected"));
            List<JsonNode> next = run(client, "use everything__echo {\"message\":\"again\"}");
            assertThat(ofType(next, "tool_completed").path("payload").path("result").asText()).contains("again");
        }
    }
}
