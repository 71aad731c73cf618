package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tool calls that wait for a person (SPEC §8): {@code require_approval} on the supervisor for a built-in tool and for
 * a tool of the reference MCP server, answered over both transports, rejected with a reason, timed out, cancelled
 * while waiting, refused to another user, and answered after a reconnect, through a real Overseer process.
 */
class ApprovalsTest {
    private static final String USER = "approver";
    private static NodeProcess node;
    private static String token;
    private static boolean mcp;

    @BeforeAll
    static void start() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-approvals-");
        node = NodeProcess.start("approvals", dataDir, TestDatabase.newDatabaseUrl(dataDir), Map.of(
                "OVERSEER_AGENTS_FILE", agentsFile(dataDir).toString(),
                "OVERSEER_APPROVAL_TIMEOUT_SECONDS", "120")).awaitHealthy();
        token = Jwts.signed(TestServer.SECRET, USER);
    }

    /** The supervisor must have its calculator calls approved, and its get-sum calls when the MCP server is here. */
    static Path agentsFile(Path dataDir) throws java.io.IOException {
        mcp = Files.isExecutable(McpToolsTest.EVERYTHING);
        String servers = mcp ? "\"mcp_servers\": {\"everything\": {\"command\": \"" + McpToolsTest.EVERYTHING + "\"}},"
                : "";
        String tools = mcp ? "\"calculator\", \"clock\", \"everything__*\"" : "\"calculator\", \"clock\"";
        Path agents = dataDir.resolve("agents.json");
        Files.writeString(agents, "{" + servers + "\"agents\": [{\"name\": \"supervisor\", \"tools\": [" + tools + "],"
                + " \"require_approval\": [\"calculator\", \"everything__get-s*\"]}]}");
        return agents;
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void approvedOverWebSocket_theCallRuns_andTheRunCompletesWithItsResult() throws Exception {
        try (WsClient client = connect(token)) {
            String run = start(client, "What is 6*7?");
            JsonNode requested = client.nextOfType("approval_requested");
            String call = requested.path("payload").path("tool_call_id").asText();
            assertThat(requested.path("payload").path("tool").asText()).isEqualTo("calculator");
            assertThat(requested.path("payload").path("arguments").path("expression").asText()).isEqualTo("6*7");
            Instant expires = Instant.parse(requested.path("payload").path("expires_at").asText());
            assertThat(expires).isBetween(Instant.now().plusSeconds(100), Instant.now().plusSeconds(121));

            // Waiting: requires_action, the pending call on the run, and the thread busy.
            JsonNode waiting = node.json(token, "GET", "/api/runs/" + run, null);
            assertThat(waiting.path("status").asText()).isEqualTo("requires_action");
            assertThat(waiting.path("pending_approval").path("tool_call_id").asText()).isEqualTo(call);
            assertThat(waiting.path("pending_approval").path("tool").asText()).isEqualTo("calculator");
            assertThat(waiting.path("pending_approval").path("arguments").path("expression").asText()).isEqualTo("6*7");
            HttpResponse<String> busy = node.send(token, "POST",
                    "/api/threads/" + requested.path("thread_id").asText() + "/runs", "{\"content\":\"hello\"}");
            assertThat(busy.statusCode()).as(busy.body()).isEqualTo(409);
            assertThat(busy.body()).contains("thread_busy");

            // An answer the columns cannot hold is refused as such, and leaves the call waiting.
            client.send(approve(run, call, false, "x".repeat(4_001), "too-long"));
            JsonNode tooLong = client.nextOfType("error");
            assertThat(tooLong.path("code").asText()).isEqualTo("invalid_message");
            assertThat(tooLong.path("message").asText()).isEqualTo("reason is longer than 4000 characters");
            assertThat(node.send(token, "POST", "/api/runs/" + run + "/approvals", "{\"tool_call_id\":\"" + call
                    + "\",\"approved\":false,\"reason\":\"" + "x".repeat(4_001) + "\"}").statusCode()).isEqualTo(400);

            client.send(approve(run, call, true, null, "a1"));
            List<JsonNode> events = client.runEvents(run);
            assertGapless(node.events(token, run));
            assertThat(types(node.events(token, run))).containsExactly("agent_started", "agent_thinking",
                    "approval_requested", "approval_resolved", "tool_executing", "tool_completed", "agent_completed",
                    "run_completed");
            JsonNode resolved = ofType(events, "approval_resolved").path("payload");
            assertThat(resolved.path("tool_call_id").asText()).isEqualTo(call);
            assertThat(resolved.path("approved").asBoolean()).isTrue();
            assertThat(resolved.path("reason").isNull()).isTrue();
            assertThat(resolved.path("by").asText()).isEqualTo("user");
            assertThat(ofType(events, "tool_completed").path("payload").path("error").isNull()).isTrue();
            assertThat(ofType(events, "run_completed").path("payload").path("output").asText()).contains("42");
            JsonNode finished = node.json(token, "GET", "/api/runs/" + run, null);
            assertThat(finished.path("status").asText()).isEqualTo("completed");
            assertThat(finished.path("pending_approval").isNull()).isTrue();

            // A second answer finds nothing waiting.
            client.send(approve(run, call, false, null, "a2"));
            JsonNode again = client.nextOfType("error");
            assertThat(again.path("code").asText()).isEqualTo("approval_not_pending");
            assertThat(again.path("request_id").asText()).isEqualTo("a2");
        }
    }

    @Test
    void rejectedOverHttpWithAReason_theModelIsToldSo_andTheRunGoesOn() throws Exception {
        try (WsClient client = connect(token)) {
            String run = start(client, "What is 2+3?");
            String call = client.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();

            HttpResponse<String> answered = node.send(token, "POST", "/api/runs/" + run + "/approvals",
                    "{\"tool_call_id\":\"" + call + "\",\"approved\":false,\"reason\":\"not with my numbers\"}");
            assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
            JsonNode body = WsClient.JSON.readTree(answered.body());
            assertThat(body.path("id").asText()).isEqualTo(run);
            assertThat(body.path("status").asText()).isIn("running", "completed");
            assertThat(body.path("pending_approval").isNull()).isTrue();

            List<JsonNode> live = client.runEvents(run);
            List<JsonNode> events = node.events(token, run);
            assertThat(events).endsWith(live.toArray(JsonNode[]::new));
            assertThat(types(events)).containsExactly("agent_started", "agent_thinking", "approval_requested",
                    "approval_resolved", "tool_completed", "agent_completed", "run_completed");
            assertGapless(events);
            JsonNode resolved = ofType(events, "approval_resolved").path("payload");
            assertThat(resolved.path("approved").asBoolean()).isFalse();
            assertThat(resolved.path("reason").asText()).isEqualTo("not with my numbers");
            assertThat(resolved.path("by").asText()).isEqualTo("user");
            JsonNode completed = ofType(events, "tool_completed").path("payload");
            assertThat(completed.path("tool_call_id").asText()).isEqualTo(call);
            assertThat(completed.path("error").asText()).isEqualTo("rejected: not with my numbers");
            assertThat(ofType(events, "run_completed").path("payload").path("output").asText())
                    .contains("rejected: not with my numbers");

            HttpResponse<String> second = node.send(token, "POST", "/api/runs/" + run + "/approvals",
                    "{\"tool_call_id\":\"" + call + "\",\"approved\":true}");
            assertThat(second.statusCode()).isEqualTo(409);
            assertThat(WsClient.JSON.readTree(second.body()).path("code").asText()).isEqualTo("approval_not_pending");
        }
    }

    @Test
    void anotherUser_cannotSeeOrAnswerTheWaitingCall() throws Exception {
        String intruder = Jwts.signed(TestServer.SECRET, "not-the-approver");
        try (WsClient client = connect(token); WsClient other = connect(intruder)) {
            String run = start(client, "What is 9-4?");
            String call = client.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();

            HttpResponse<String> overHttp = node.send(intruder, "POST", "/api/runs/" + run + "/approvals",
                    "{\"tool_call_id\":\"" + call + "\",\"approved\":true}");
            assertThat(overHttp.statusCode()).isEqualTo(404);
            other.send(approve(run, call, true, null, "theirs"));
            JsonNode refused = other.nextOfType("error");
            assertThat(refused.path("code").asText()).isEqualTo("not_found");
            assertThat(node.json(token, "GET", "/api/runs/" + run, null).path("status").asText())
                    .isEqualTo("requires_action");

            client.send(approve(run, call, true, null, "mine"));
            assertThat(ofType(client.runEvents(run), "run_completed").path("payload").path("output").asText())
                    .contains("5");
        }
    }

    @Test
    void cancelWhileWaiting_endsTheRunAtOnce_andLeavesNothingToAnswer() throws Exception {
        try (WsClient client = connect(token)) {
            String run = start(client, "What is 8/2?");
            String call = client.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();

            client.send(Frames.cancelRun(run, "cancel"));
            assertThat(types(client.runEvents(run))).containsExactly("run_cancelled");
            assertThat(types(node.events(token, run))).containsExactly("agent_started", "agent_thinking",
                    "approval_requested", "run_cancelled");
            assertThat(node.json(token, "GET", "/api/runs/" + run, null).path("status").asText()).isEqualTo("cancelled");
            HttpResponse<String> late = node.send(token, "POST", "/api/runs/" + run + "/approvals",
                    "{\"tool_call_id\":\"" + call + "\",\"approved\":true}");
            assertThat(late.statusCode()).isEqualTo(409);
            assertThat(late.body()).contains("approval_not_pending");
        }
    }

    @Test
    void aClientThatReconnects_seesThePendingRequestInTheReplay_andCanStillAnswerIt() throws Exception {
        String run;
        String call;
        try (WsClient first = connect(token)) {
            run = start(first, "What is 3*3?");
            call = first.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();
        }
        try (WsClient second = connect(token)) {
            second.send(Frames.resume(run, 0, "resume"));
            List<JsonNode> replay = new ArrayList<>();
            JsonNode requested = second.nextOfType("approval_requested", replay);
            assertThat(requested.path("payload").path("tool_call_id").asText()).isEqualTo(call);
            assertThat(types(replay)).containsExactly("agent_started", "agent_thinking");

            second.send(approve(run, call, true, null, "after-reconnect"));
            List<JsonNode> rest = second.runEvents(run);
            assertThat(types(rest)).containsExactly("approval_resolved", "tool_executing", "tool_completed",
                    "agent_completed", "run_completed");
            assertThat(ofType(rest, "run_completed").path("payload").path("output").asText()).contains("9");
        }
    }

    @Test
    void aConnectionThatDoesNotFollowTheRun_getsTheResolvedEventAsItsAnswer() throws Exception {
        try (WsClient starter = connect(token); WsClient approver = connect(token)) {
            String run = start(starter, "What is 1+1?");
            String call = starter.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();

            approver.send(approve(run, call, true, "fine", "other-tab"));
            JsonNode answer = approver.next();
            assertThat(answer.path("type").asText()).isEqualTo("approval_resolved");
            assertThat(answer.path("run_id").asText()).isEqualTo(run);
            assertThat(answer.path("payload").path("reason").asText()).isEqualTo("fine");
            assertThat(ofType(starter.runEvents(run), "run_completed").path("payload").path("output").asText())
                    .contains("2");
            // Nothing else of the run reaches the connection that only answered.
            approver.send(Frames.ping());
            assertThat(approver.until(frame -> frame.path("type").asText().equals("pong"))).hasSize(1);
        }
    }

    @Test
    void mcpToolCall_waitsForApproval_thenRunsOnTheServer() throws Exception {
        Assumptions.assumeTrue(mcp, "SKIPPED: needs " + McpToolsTest.EVERYTHING + " (npm ci --prefix integration-tests/mcp)");
        try (WsClient client = connect(token)) {
            String run = start(client, "use everything__get-sum {\"a\":2,\"b\":3}");
            JsonNode requested = client.nextOfType("approval_requested").path("payload");
            assertThat(requested.path("tool").asText()).isEqualTo("everything__get-sum");
            client.send(approve(run, requested.path("tool_call_id").asText(), true, null, "sum"));
            List<JsonNode> events = client.runEvents(run);
            assertThat(types(events)).containsSubsequence("approval_resolved", "tool_executing", "tool_completed",
                    "run_completed");
            assertThat(ofType(events, "tool_completed").path("payload").path("result").toString()).contains("5");

            // A tool of the same server that needs no approval runs at once.
            String echo = start(client, "use everything__echo {\"message\":\"no approval needed\"}");
            assertThat(types(client.runEvents(echo))).doesNotContain("approval_requested");
        }
    }

    @Test
    void noAnswerWithinTheApprovalTimeout_rejectsTheCallByTimeout() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-approval-timeout-");
        try (NodeProcess quick = NodeProcess.start("approval-timeout", dataDir, TestDatabase.newDatabaseUrl(dataDir),
                Map.of("OVERSEER_AGENTS_FILE", agentsFile(dataDir).toString(),
                        "OVERSEER_APPROVAL_TIMEOUT_SECONDS", "1",
                        // The run's own timeout does not count the wait for a person.
                        "OVERSEER_RUN_TIMEOUT_SECONDS", "1")).awaitHealthy();
                WsClient client = WsClient.connect(quick.ws(), token)) {
            assertThat(client.next().path("type").asText()).isEqualTo("connection_established");
            String run = start(client, "What is 7*7?");
            List<JsonNode> events = client.runEvents(run);
            assertThat(types(events)).containsExactly("agent_started", "agent_thinking", "approval_requested",
                    "approval_resolved", "tool_completed", "agent_completed", "run_completed");
            JsonNode resolved = ofType(events, "approval_resolved").path("payload");
            assertThat(resolved.path("approved").asBoolean()).isFalse();
            assertThat(resolved.path("by").asText()).isEqualTo("timeout");
            assertThat(ofType(events, "tool_completed").path("payload").path("error").asText())
                    .startsWith("rejected: ");
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    quick.json(token, "GET", "/api/runs/" + run, null).path("status").asText().equals("completed"));
        }
    }

    static WsClient connect(String token) {
        WsClient client = WsClient.connect(node.ws(), token);
        assertThat(client.next().path("type").asText()).isEqualTo("connection_established");
        return client;
    }

    /** Starts a run on a new thread and returns its id. */
    static String start(WsClient client, String content) {
        client.send(WsClient.JSON.createObjectNode().put("type", "start_agent").put("content", content));
        return client.nextOfType("run_accepted").path("run_id").asText();
    }

    static String approve(String run, String call, boolean approved, String reason, String requestId) {
        ObjectNode frame = WsClient.JSON.createObjectNode().put("type", "approve_tool").put("run_id", run)
                .put("tool_call_id", call).put("approved", approved).put("request_id", requestId);
        if (reason != null) {
            frame.put("reason", reason);
        }
        return frame.toString();
    }

    static List<String> types(List<JsonNode> events) {
        return events.stream().map(event -> event.path("type").asText()).toList();
    }

    static JsonNode ofType(List<JsonNode> events, String type) {
        return events.stream().filter(event -> event.path("type").asText().equals(type)).findFirst().orElseThrow();
    }

    static void assertGapless(List<JsonNode> events) {
        assertThat(events).extracting(event -> event.path("seq").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
    }
}
