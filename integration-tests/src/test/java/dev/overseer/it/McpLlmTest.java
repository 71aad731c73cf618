package dev.overseer.it;

import static dev.overseer.it.ScriptedLlmServer.answer;
import static dev.overseer.it.ScriptedLlmServer.stream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A model (the scripted OpenAI-compatible endpoint) driving the tools of the reference MCP server: what the model is
 * offered, what it is told of a call's result, of a rejection and of an approval (SPEC §8).
 */
class McpLlmTest {
    private static ScriptedLlmServer llm;
    private static TestServer server;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(McpToolsTest.EVERYTHING), "SKIPPED: needs "
                + McpToolsTest.EVERYTHING + " (npm ci --prefix integration-tests/mcp)");
        llm = ScriptedLlmServer.start();
        Path agents = Files.createTempDirectory("overseer-mcp-llm-").resolve("agents.json");
        Files.writeString(agents, """
                {"mcp_servers": {"everything": {"command": "%s"}},
                 "agents": [{"name": "supervisor", "tools": ["everything__echo", "everything__get-sum"],
                             "require_approval": ["everything__get-sum"]}]}""".formatted(McpToolsTest.EVERYTHING));
        server = TestServer.start(LlmAgentTest.llmEnvironment(llm.baseUrl(), agents));
        token = server.token("mcp-llm");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (llm != null) {
            llm.close();
        }
    }

    @BeforeEach
    void resetScript() {
        llm.reset();
    }

    @AfterEach
    void everyReplyWasUsed() {
        llm.assertScriptUsedUp();
    }

    @Test
    void theModelIsOfferedTheServersTools_withTheirOwnDescriptionAndSchema_andReadsTheResult() {
        llm.script(
                stream().toolCall(0, "call_echo", "everything__echo", "{\"message\":\"from the model\"}")
                        .finish("tool_calls").done(),
                answer(10, 3, "It said: from the model"));
        try (WsClient client = connect()) {
            String run = ApprovalsTest.start(client, "Echo something");
            List<JsonNode> events = client.runEvents(run);

            assertThat(ApprovalsTest.types(events)).containsExactly("agent_started", "tool_executing",
                    "tool_completed", "agent_message_delta", "agent_completed", "run_completed");
            assertThat(ApprovalsTest.ofType(events, "tool_completed").path("payload").path("result").asText())
                    .contains("from the model");
        }
        ScriptedLlmServer.RecordedRequest first = llm.request(0);
        assertThat(first.toolNames()).containsExactly("everything__echo", "everything__get-sum");
        JsonNode sum = first.tool("everything__get-sum").path("function");
        assertThat(sum.path("description").asText()).isNotBlank();
        assertThat(sum.path("parameters").path("properties").has("a")).isTrue();
        assertThat(sum.path("parameters").path("properties").has("b")).isTrue();
        List<JsonNode> toolMessages = llm.request(1).messages("tool");
        assertThat(toolMessages).hasSize(1);
        assertThat(toolMessages.get(0).path("tool_call_id").asText()).isEqualTo("call_echo");
        assertThat(toolMessages.get(0).path("content").asText()).contains("from the model");
    }

    @Test
    void aRejectedCall_reachesTheModelAsARejectionWithItsReason_andTheServerIsNeverCalled() throws Exception {
        llm.script(
                stream().toolCall(0, "call_sum", "everything__get-sum", "{\"a\":2,\"b\":3}").finish("tool_calls").done(),
                answer(10, 3, "I was not allowed to add."));
        try (WsClient client = connect()) {
            String run = ApprovalsTest.start(client, "Add 2 and 3");
            JsonNode requested = client.nextOfType("approval_requested").path("payload");
            assertThat(requested.path("tool_call_id").asText()).isEqualTo("call_sum");
            assertThat(requested.path("arguments").path("a").asInt()).isEqualTo(2);
            Http http = new Http(server, token);
            assertThat(http.post("/api/runs/" + run + "/approvals",
                    "{\"tool_call_id\":\"call_sum\",\"approved\":false,\"reason\":\"too risky\"}").status()).isEqualTo(200);
            List<JsonNode> rest = client.runEvents(run);

            assertThat(ApprovalsTest.types(rest)).containsExactly("approval_resolved", "tool_completed",
                    "agent_message_delta", "agent_completed", "run_completed");
            assertThat(ApprovalsTest.ofType(rest, "tool_completed").path("payload").path("error").asText())
                    .isEqualTo("rejected: too risky");
        }
        JsonNode told = llm.request(1).messages("tool").get(0);
        assertThat(told.path("tool_call_id").asText()).isEqualTo("call_sum");
        assertThat(WsClient.JSON.readTree(told.path("content").asText()).path("error").asText())
                .isEqualTo("rejected: too risky");
    }

    @Test
    void anApprovedCall_runsOnTheServer_andTheModelReadsItsResult() {
        llm.script(
                stream().toolCall(0, "call_sum", "everything__get-sum", "{\"a\":2,\"b\":3}").finish("tool_calls").done(),
                answer(10, 3, "2 and 3 make 5."));
        try (WsClient client = connect()) {
            String run = ApprovalsTest.start(client, "Add 2 and 3");
            client.nextOfType("approval_requested");
            client.send(ApprovalsTest.approve(run, "call_sum", true, null, "yes"));
            List<JsonNode> rest = client.runEvents(run);

            assertThat(ApprovalsTest.types(rest)).containsExactly("approval_resolved", "tool_executing",
                    "tool_completed", "agent_message_delta", "agent_completed", "run_completed");
            assertThat(ApprovalsTest.ofType(rest, "tool_completed").path("payload").path("result").toString())
                    .contains("5");
        }
        assertThat(llm.request(1).messages("tool").get(0).path("content").asText()).contains("5");
    }

    private static WsClient connect() {
        WsClient client = WsClient.connect(server, token);
        assertThat(client.next().path("type").asText()).isEqualTo("connection_established");
        return client;
    }
}
