package dev.overseer.it;

import static dev.overseer.it.ScriptedLlmServer.answer;
import static dev.overseer.it.ScriptedLlmServer.error;
import static dev.overseer.it.ScriptedLlmServer.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.it.ScriptedLlmServer.Outcome;
import dev.overseer.it.ScriptedLlmServer.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real agents: the server talks to an OpenAI-compatible endpoint ({@link ScriptedLlmServer}, a real HTTP
 * server on loopback) and the tests check both what clients see (the exact events, the stored run) and
 * what the server sent to the model (every request, header and message).
 */
class LlmAgentTest {
    private static final int STREAM_TIMEOUT_SECONDS = 2;
    private static final int MAX_ATTEMPTS = 3;
    private static final int MAX_STEPS = 3;
    /** Slack for timing assertions on a loaded build machine; far below what a retry or a missed abort costs. */
    private static final Duration TIMING_MARGIN = Duration.ofMillis(1500);
    /** "At once": the slow stream would otherwise go on for 40 s. */
    private static final Duration CANCEL_WITHIN = Duration.ofMillis(1500);
    private static final String SUPERVISOR_PROMPT =
            "You are the test supervisor: compute with the calculator and leave research to the researcher.";
    private static final String RESEARCHER_PROMPT = "You are a careful researcher. Use the clock when time matters.";
    private static final String RESEARCHER_DESCRIPTION = "Looks things up and reports what it found.";

    private static ScriptedLlmServer llm;
    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        llm = ScriptedLlmServer.start();
        Path agents = Files.createTempDirectory("overseer-agents-").resolve("agents.json");
        ObjectNode file = WsClient.JSON.createObjectNode();
        ArrayNode list = file.putArray("agents");
        list.addObject().put("name", "supervisor").put("system_prompt", SUPERVISOR_PROMPT);
        ObjectNode researcher = list.addObject().put("name", "researcher").put("description", RESEARCHER_DESCRIPTION)
                .put("system_prompt", RESEARCHER_PROMPT).put("model", "research-model");
        researcher.putArray("tools").add("clock");
        Files.writeString(agents, file.toString());
        server = TestServer.start(llmEnvironment(llm.baseUrl(), agents));
    }

    static Map<String, String> llmEnvironment(String baseUrl, Path agentsFile) {
        Map<String, String> env = new HashMap<>();
        env.put("OVERSEER_LLM_BASE_URL", baseUrl);
        env.put("OVERSEER_LLM_MODEL", "test-model");
        env.put("OVERSEER_LLM_API_KEY", "sk-test");
        env.put("OVERSEER_LLM_CONNECT_TIMEOUT_SECONDS", "2");
        env.put("OVERSEER_LLM_STREAM_TIMEOUT_SECONDS", String.valueOf(STREAM_TIMEOUT_SECONDS));
        env.put("OVERSEER_LLM_MAX_ATTEMPTS", String.valueOf(MAX_ATTEMPTS));
        env.put("OVERSEER_LLM_MAX_BACKOFF_SECONDS", "2");
        env.put("OVERSEER_AGENT_MAX_STEPS", String.valueOf(MAX_STEPS));
        env.put("OVERSEER_RUN_TIMEOUT_SECONDS", "60");
        if (agentsFile != null) {
            env.put("OVERSEER_AGENTS_FILE", agentsFile.toString());
        }
        return env;
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

    // ---- a: one tool call, then a streamed answer ------------------------------------------------------

    @Test
    void toolCall_argumentsInFragments_thenStreamedAnswer_eventsRequestsAndUsage() {
        llm.script(
                stream().toolCall(0, "call_calc", "calculator", "{\"expr")
                        .toolArguments(0, "ession\":")
                        .toolArguments(0, "\"6*7\"}")
                        .finish("tool_calls").usage(50, 10).done(),
                answer(80, 6, "The answer", " is ", "42."));
        String token = server.token("alice");

        Run run = runOverWs(token, "What is 6*7?", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "tool_executing", "tool_completed",
                "agent_message_delta", "agent_message_delta", "agent_message_delta", "agent_completed",
                "run_completed");
        assertThat(run.events()).extracting(e -> e.path("seq").asInt()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(run.events()).allSatisfy(e -> assertThat(e.path("agent").asText()).isEqualTo("supervisor"));
        assertThat(run.event(0).path("payload").path("parent_agent").isNull()).isTrue();
        JsonNode executing = run.event(1).path("payload");
        assertThat(executing.path("tool_call_id").asText()).isEqualTo("call_calc");
        assertThat(executing.path("tool").asText()).isEqualTo("calculator");
        assertThat(executing.path("arguments")).isEqualTo(json("{\"expression\":\"6*7\"}"));
        JsonNode completed = run.event(2).path("payload");
        assertThat(completed.path("tool_call_id").asText()).isEqualTo("call_calc");
        assertThat(completed.path("result").asInt()).isEqualTo(42);
        assertThat(completed.path("error").isNull()).isTrue();
        assertThat(deltas(run.events())).containsExactly("The answer", " is ", "42.");
        assertThat(run.event(6).path("payload").path("output").asText()).isEqualTo("The answer is 42.");
        JsonNode terminal = run.event(7).path("payload");
        assertThat(terminal.path("output").asText()).isEqualTo(String.join("", deltas(run.events())));
        assertThat(terminal.path("usage")).isEqualTo(json("{\"prompt_tokens\":130,\"completion_tokens\":16}"));

        JsonNode stored = new Http(server, token).get("/api/runs/" + run.runId()).json();
        assertThat(stored.path("status").asText()).isEqualTo("completed");
        assertThat(stored.path("agent").asText()).isEqualTo("supervisor");
        assertThat(stored.path("output").asText()).isEqualTo("The answer is 42.");
        assertThat(stored.path("usage")).isEqualTo(json("{\"prompt_tokens\":130,\"completion_tokens\":16}"));

        assertThat(llm.requests()).hasSize(2);
        RecordedRequest first = llm.request(0);
        assertThat(first.method()).isEqualTo("POST");
        assertThat(first.path()).isEqualTo("/v1/chat/completions");
        assertThat(first.header("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(first.header("Content-Type")).startsWith("application/json");
        assertThat(first.body().path("model").asText()).isEqualTo("test-model");
        assertThat(first.body().path("stream").asBoolean()).isTrue();
        assertThat(first.body().path("stream_options")).isEqualTo(json("{\"include_usage\":true}"));
        assertThat(first.body().path("tool_choice").asText()).isEqualTo("auto");
        assertThat(first.toolNames()).containsExactlyInAnyOrder("calculator", "clock", "wait", "researcher");
        assertThat(first.body().path("tools")).allSatisfy(tool -> {
            assertThat(tool.path("type").asText()).isEqualTo("function");
            assertThat(tool.path("function").path("description").asText()).isNotBlank();
        });
        assertThat(first.tool("calculator").path("function").path("parameters")).isEqualTo(json("""
                {"type":"object","properties":{"expression":{"type":"string","description":"for example (2+3)*4"}},
                 "required":["expression"],"additionalProperties":false}"""));
        assertThat(first.tool("clock").path("function").path("parameters"))
                .isEqualTo(json("{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}"));
        assertThat(first.tool("wait").path("function").path("parameters")).isEqualTo(json("""
                {"type":"object","properties":{"seconds":{"type":"integer","minimum":0,"maximum":60}},
                 "required":["seconds"],"additionalProperties":false}"""));
        assertThat(first.tool("researcher").path("function").path("description").asText())
                .isEqualTo(RESEARCHER_DESCRIPTION);
        assertThat(first.tool("researcher").path("function").path("parameters").path("required"))
                .isEqualTo(json("[\"task\"]"));
        assertThat(first.tool("researcher").path("function").path("parameters").path("properties").path("task")
                .path("type").asText()).isEqualTo("string");
        assertThat(first.messages()).isEqualTo(json("""
                [{"role":"system","content":%s},{"role":"user","content":"What is 6*7?"}]"""
                .formatted(quoted(SUPERVISOR_PROMPT))));

        RecordedRequest second = llm.request(1);
        assertThat(second.header("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(second.messages()).hasSize(4);
        assertThat(second.messages().get(0)).isEqualTo(first.messages().get(0));
        assertThat(second.messages().get(1)).isEqualTo(first.messages().get(1));
        JsonNode assistant = second.messages().get(2);
        assertThat(assistant.path("role").asText()).isEqualTo("assistant");
        assertThat(assistant.path("content").isNull()).isTrue();
        assertThat(assistant.path("tool_calls")).hasSize(1);
        JsonNode call = assistant.path("tool_calls").get(0);
        assertThat(call.path("id").asText()).isEqualTo("call_calc");
        assertThat(call.path("type").asText()).isEqualTo("function");
        assertThat(call.path("function").path("name").asText()).isEqualTo("calculator");
        assertThat(json(call.path("function").path("arguments").asText()))
                .isEqualTo(json("{\"expression\":\"6*7\"}"));
        assertThat(second.messages().get(3))
                .isEqualTo(json("{\"role\":\"tool\",\"tool_call_id\":\"call_calc\",\"content\":\"42\"}"));

        // The next run on the same thread shows the model the earlier exchange, oldest first.
        llm.reset();
        llm.script(answer(90, 3, "Still 42."));
        Run again = runOverWs(token, "And once more?", run.threadId(), null);
        assertThat(types(again.events())).containsExactly("agent_started", "agent_message_delta", "agent_completed",
                "run_completed");
        assertThat(llm.request(0).messages()).isEqualTo(json("""
                [{"role":"system","content":%s},
                 {"role":"user","content":"What is 6*7?"},
                 {"role":"assistant","content":"The answer is 42."},
                 {"role":"user","content":"And once more?"}]""".formatted(quoted(SUPERVISOR_PROMPT))));
    }

    @Test
    void toolCallWithContent_theTextIsStreamed_keptInTheConversation_andPartOfTheOutput() {
        llm.script(
                stream().content("Let me ").content("compute that.")
                        .toolCall(0, "call_calc", "calculator", "{\"expression\":\"6*7\"}")
                        .finish("tool_calls").usage(50, 10).done(),
                answer(80, 6, "The answer", " is 42."));

        Run run = runOverWs(server.token("alice"), "What is 6*7?", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_message_delta", "agent_message_delta",
                "tool_executing", "tool_completed", "agent_message_delta", "agent_message_delta", "agent_completed",
                "run_completed");
        String output = run.events().getLast().path("payload").path("output").asText();
        assertThat(output).isEqualTo(String.join("", deltas(run.events())))
                .isEqualTo("Let me compute that.The answer is 42.");
        JsonNode assistant = llm.request(1).messages().get(2);
        assertThat(assistant.path("role").asText()).isEqualTo("assistant");
        assertThat(assistant.path("content").asText()).isEqualTo("Let me compute that.");
        assertThat(assistant.path("tool_calls").get(0).path("id").asText()).isEqualTo("call_calc");
    }

    // ---- b: two tool calls in one turn ----------------------------------------------------------------

    @Test
    void twoToolCallsInOneTurn_interleavedFragments_bothExecutedInOrder_bothResultsFedBack() {
        llm.script(
                stream().toolCall(0, "call_a", "calculator", "{\"expression\":")
                        .toolCall(1, "call_b", "clock", "")
                        .toolArguments(0, "\"6*7\"}")
                        .toolArguments(1, "{}")
                        .finish("tool_calls").usage(40, 20).done(),
                answer(100, 5, "42, and it is now."));

        Run run = runOverWs(server.token("alice"), "What is 6*7, and what time is it?", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "tool_executing", "tool_completed",
                "tool_executing", "tool_completed", "agent_message_delta", "agent_completed", "run_completed");
        assertThat(run.event(1).path("payload").path("tool_call_id").asText()).isEqualTo("call_a");
        assertThat(run.event(2).path("payload").path("tool_call_id").asText()).isEqualTo("call_a");
        assertThat(run.event(2).path("payload").path("result").asInt()).isEqualTo(42);
        assertThat(run.event(3).path("payload").path("tool_call_id").asText()).isEqualTo("call_b");
        assertThat(run.event(3).path("payload").path("tool").asText()).isEqualTo("clock");
        assertThat(run.event(3).path("payload").path("arguments")).isEqualTo(json("{}"));
        assertThat(run.event(4).path("payload").path("result").path("timezone").asText()).isEqualTo("UTC");
        assertThat(run.event(7).path("payload").path("usage"))
                .isEqualTo(json("{\"prompt_tokens\":140,\"completion_tokens\":25}"));

        RecordedRequest second = llm.request(1);
        List<JsonNode> calls = new ArrayList<>();
        second.messages("assistant").get(0).path("tool_calls").forEach(calls::add);
        assertThat(calls).extracting(c -> c.path("id").asText()).containsExactly("call_a", "call_b");
        assertThat(calls).extracting(c -> c.path("function").path("name").asText())
                .containsExactly("calculator", "clock");
        List<JsonNode> results = second.messages("tool");
        assertThat(results).extracting(m -> m.path("tool_call_id").asText()).containsExactly("call_a", "call_b");
        assertThat(results.get(0).path("content").asText()).isEqualTo("42");
        JsonNode clock = json(results.get(1).path("content").asText());
        assertThat(clock.path("timezone").asText()).isEqualTo("UTC");
        assertThat(clock.path("now").asText()).isEqualTo(run.event(4).path("payload").path("result").path("now").asText());
        // The tool results follow the assistant message that asked for them.
        assertThat(second.messages()).extracting(m -> m.path("role").asText())
                .containsExactly("system", "user", "assistant", "tool", "tool");
    }

    // ---- c: delegation to a sub-agent from the agents file -------------------------------------------

    @Test
    void delegation_subAgentRunsWithItsOwnPromptModelAndTools_eventsNestedInsideTheToolCall() {
        llm.script(
                stream().toolCall(0, "call_r", "researcher", "{\"task\":\"Find out")
                        .toolArguments(0, " what time it is.\"}").finish("tool_calls").usage(10, 1).done(),
                stream().toolCall(0, "call_clock", "clock", "{}").finish("tool_calls").usage(20, 2).done(),
                answer(30, 3, "It is ", "noon."),
                answer(40, 4, "The researcher says it is noon."));

        Run run = runOverWs(server.token("alice"), "What time is it? Ask the researcher.", null, null);

        assertThat(run.events()).extracting(e -> e.path("type").asText() + "/" + e.path("agent").asText())
                .containsExactly(
                        "agent_started/supervisor",
                        "tool_executing/supervisor",
                        "agent_started/researcher",
                        "tool_executing/researcher",
                        "tool_completed/researcher",
                        "agent_message_delta/researcher",
                        "agent_message_delta/researcher",
                        "agent_completed/researcher",
                        "tool_completed/supervisor",
                        "agent_message_delta/supervisor",
                        "agent_completed/supervisor",
                        "run_completed/supervisor");
        assertThat(run.event(0).path("payload").path("parent_agent").isNull()).isTrue();
        assertThat(run.event(1).path("payload").path("tool").asText()).isEqualTo("researcher");
        assertThat(run.event(1).path("payload").path("arguments"))
                .isEqualTo(json("{\"task\":\"Find out what time it is.\"}"));
        assertThat(run.event(2).path("payload").path("parent_agent").asText()).isEqualTo("supervisor");
        assertThat(run.event(3).path("payload").path("tool").asText()).isEqualTo("clock");
        assertThat(run.event(7).path("payload").path("output").asText()).isEqualTo("It is noon.");
        assertThat(run.event(8).path("payload").path("tool_call_id").asText()).isEqualTo("call_r");
        assertThat(run.event(8).path("payload").path("result").asText()).isEqualTo("It is noon.");
        assertThat(run.event(8).path("payload").path("error").isNull()).isTrue();
        JsonNode terminal = run.event(11).path("payload");
        assertThat(terminal.path("output").asText()).isEqualTo("The researcher says it is noon.");
        assertThat(terminal.path("usage")).isEqualTo(json("{\"prompt_tokens\":100,\"completion_tokens\":10}"));

        assertThat(llm.requests()).hasSize(4);
        RecordedRequest research = llm.request(1);
        assertThat(research.header("Authorization")).isEqualTo("Bearer sk-test");
        assertThat(research.body().path("model").asText()).isEqualTo("research-model");
        assertThat(research.body().path("stream").asBoolean()).isTrue();
        assertThat(research.toolNames()).containsExactly("clock");
        assertThat(research.body().path("tool_choice").asText()).isEqualTo("auto");
        assertThat(research.messages()).isEqualTo(json("""
                [{"role":"system","content":%s},{"role":"user","content":"Find out what time it is."}]"""
                .formatted(quoted(RESEARCHER_PROMPT))));
        RecordedRequest researchAgain = llm.request(2);
        assertThat(researchAgain.messages()).extracting(m -> m.path("role").asText())
                .containsExactly("system", "user", "assistant", "tool");
        assertThat(researchAgain.messages("tool").get(0).path("tool_call_id").asText()).isEqualTo("call_clock");
        RecordedRequest supervisorAgain = llm.request(3);
        assertThat(supervisorAgain.body().path("model").asText()).isEqualTo("test-model");
        assertThat(supervisorAgain.messages().get(0).path("content").asText()).isEqualTo(SUPERVISOR_PROMPT);
        assertThat(supervisorAgain.messages("tool")).containsExactly(
                json("{\"role\":\"tool\",\"tool_call_id\":\"call_r\",\"content\":\"It is noon.\"}"));
        // The sub-agent's own conversation stays out of the supervisor's.
        assertThat(supervisorAgain.messages()).hasSize(4);
    }

    @Test
    void startAgent_namingTheSubAgent_runsItAtTopLevel() {
        llm.script(answer(5, 2, "Researched."));
        String token = server.token("alice");

        Run run = runOverWs(token, "Look this up.", null, "researcher");

        assertThat(run.events()).extracting(e -> e.path("type").asText() + "/" + e.path("agent").asText())
                .containsExactly("agent_started/researcher", "agent_message_delta/researcher",
                        "agent_completed/researcher", "run_completed/researcher");
        assertThat(run.event(0).path("payload").path("parent_agent").isNull()).isTrue();
        assertThat(run.event(3).path("payload").path("output").asText()).isEqualTo("Researched.");
        JsonNode stored = new Http(server, token).get("/api/runs/" + run.runId()).json();
        assertThat(stored.path("agent").asText()).isEqualTo("researcher");
        assertThat(stored.path("status").asText()).isEqualTo("completed");
        RecordedRequest request = llm.request(0);
        assertThat(request.body().path("model").asText()).isEqualTo("research-model");
        assertThat(request.toolNames()).containsExactly("clock");
        assertThat(request.messages()).isEqualTo(json("""
                [{"role":"system","content":%s},{"role":"user","content":"Look this up."}]"""
                .formatted(quoted(RESEARCHER_PROMPT))));
    }

    @Test
    void httpRun_namingTheSubAgent_runsItAtTopLevel() {
        llm.script(answer(5, 2, "Researched over HTTP."));
        Http http = new Http(server, server.token("alice"));
        String thread = http.post("/api/threads", "{}").json().path("id").asText();

        Http.Response response = http.post("/api/threads/" + thread + "/runs?wait=true",
                "{\"content\":\"Look this up.\",\"agent\":\"researcher\"}");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().path("agent").asText()).isEqualTo("researcher");
        assertThat(response.json().path("status").asText()).isEqualTo("completed");
        assertThat(response.json().path("output").asText()).isEqualTo("Researched over HTTP.");
        assertThat(response.json().path("usage")).isEqualTo(json("{\"prompt_tokens\":5,\"completion_tokens\":2}"));
        assertThat(llm.request(0).messages().get(0).path("content").asText()).isEqualTo(RESEARCHER_PROMPT);
    }

    @Test
    void unknownAgent_isRefusedOnBothTransports_withoutAskingTheModel() {
        String token = server.token("alice");
        try (WsClient client = WsClient.connect(server, token)) {
            client.nextOfType("connection_established");
            client.send("{\"type\":\"start_agent\",\"content\":\"Hi\",\"agent\":\"poet\",\"request_id\":\"r1\"}");
            JsonNode error = client.nextOfType("error");
            assertThat(error.path("code").asText()).isEqualTo("invalid_message");
            assertThat(error.path("message").asText()).contains("poet");
            assertThat(error.path("request_id").asText()).isEqualTo("r1");
        }
        Http http = new Http(server, token);
        String thread = http.post("/api/threads", "{}").json().path("id").asText();
        Http.Response response = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"Hi\",\"agent\":\"poet\"}");
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("code").asText()).isEqualTo("invalid_request");
        assertThat(response.json().path("detail").asText()).contains("poet");
        assertThat(llm.requests()).isEmpty();
    }

    @Test
    void subAgentFailure_becomesTheDelegationToolsError_andTheSupervisorCarriesOn() {
        llm.script(
                stream().toolCall(0, "call_r", "researcher", "{\"task\":\"Dig.\"}").finish("tool_calls").done(),
                error(400, "The research model is not available to you."),
                answer(1, 1, "The researcher could not help."));

        Run run = runOverWs(server.token("alice"), "Research something.", null, null);

        assertThat(run.events()).extracting(e -> e.path("type").asText() + "/" + e.path("agent").asText())
                .containsExactly("agent_started/supervisor", "tool_executing/supervisor", "agent_started/researcher",
                        "agent_error/researcher", "tool_completed/supervisor", "agent_message_delta/supervisor",
                        "agent_completed/supervisor", "run_completed/supervisor");
        assertThat(run.event(3).path("payload").path("code").asText()).isEqualTo("llm_error");
        String error = run.event(4).path("payload").path("error").asText();
        assertThat(error).contains("researcher").contains("The research model is not available to you.");
        JsonNode toolMessage = llm.request(2).messages("tool").get(0);
        assertThat(toolMessage.path("tool_call_id").asText()).isEqualTo("call_r");
        assertThat(json(toolMessage.path("content").asText()).path("error").asText()).isEqualTo(error);
        assertThat(llm.requests()).hasSize(3);
    }

    // ---- d: cancelling a streaming run -----------------------------------------------------------------

    @Test
    void cancelRunOverWebSocket_midStream_abortsTheHttpStreamAtOnce_andKeepsThePartialOutput() {
        llm.script(ScriptedLlmServer.slowStream("tick ", Duration.ofMillis(100)));
        String token = server.token("alice");
        try (WsClient client = WsClient.connect(server, token)) {
            client.nextOfType("connection_established");
            client.send("{\"type\":\"start_agent\",\"content\":\"Count slowly.\"}");
            String runId = client.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> events = new ArrayList<>();
            while (deltas(events).size() < 3) {
                events.add(nextRunEvent(client, runId));
            }

            long cancelledAt = System.nanoTime();
            client.send("{\"type\":\"cancel_run\",\"run_id\":\"" + runId + "\"}");
            JsonNode event;
            do {
                event = nextRunEvent(client, runId);
                events.add(event);
            } while (!WsClient.isTerminal(event));
            Duration took = Duration.ofNanos(System.nanoTime() - cancelledAt);

            assertThat(event.path("type").asText()).isEqualTo("run_cancelled");
            assertThat(took).isLessThan(CANCEL_WITHIN);
            assertThat(types(events).subList(0, types(events).size() - 1))
                    .containsOnly("agent_started", "agent_message_delta");
            assertThat(llm.request(0).outcome()).succeedsWithin(Duration.ofSeconds(2)).isEqualTo(Outcome.CLIENT_CLOSED);
            assertCancelledWithPartialOutput(token, runId, events);
        }
    }

    @Test
    void cancelOverHttp_midStream_abortsTheHttpStreamAtOnce_andKeepsThePartialOutput() {
        llm.script(ScriptedLlmServer.slowStream("tock ", Duration.ofMillis(100)));
        String token = server.token("alice");
        Http http = new Http(server, token);
        String thread = http.post("/api/threads", "{}").json().path("id").asText();
        Http.Response started = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"Count slowly.\"}");
        assertThat(started.status()).isEqualTo(202);
        String runId = started.json().path("id").asText();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> deltas(storedEvents(http, runId)).size() >= 3);

        long cancelledAt = System.nanoTime();
        Http.Response cancel = http.post("/api/runs/" + runId + "/cancel", "");
        assertThat(cancel.status()).isIn(200, 202);
        await().atMost(CANCEL_WITHIN).pollInterval(Duration.ofMillis(10))
                .until(() -> http.get("/api/runs/" + runId).json().path("status").asText().equals("cancelled"));
        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(CANCEL_WITHIN);

        List<JsonNode> events = storedEvents(http, runId);
        assertThat(types(events).getLast()).isEqualTo("run_cancelled");
        assertThat(llm.request(0).outcome()).succeedsWithin(Duration.ofSeconds(2)).isEqualTo(Outcome.CLIENT_CLOSED);
        assertCancelledWithPartialOutput(token, runId, events);
    }

    @Test
    void cancelRun_whileTheModelHasNotAnsweredYet_endsTheRunAtOnce() {
        llm.script(ScriptedLlmServer.neverAnswer());
        try (WsClient client = WsClient.connect(server, server.token("alice"))) {
            client.nextOfType("connection_established");
            client.send("{\"type\":\"start_agent\",\"content\":\"Hello?\"}");
            String runId = client.nextOfType("run_accepted").path("run_id").asText();
            assertThat(nextRunEvent(client, runId).path("type").asText()).isEqualTo("agent_started");
            await().atMost(Duration.ofSeconds(2)).until(() -> llm.requests().size() == 1);

            long cancelledAt = System.nanoTime();
            client.send("{\"type\":\"cancel_run\",\"run_id\":\"" + runId + "\"}");
            JsonNode terminal = nextRunEvent(client, runId);

            assertThat(terminal.path("type").asText()).isEqualTo("run_cancelled");
            assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(CANCEL_WITHIN);
            assertThat(llm.requests()).hasSize(1);
        }
    }

    @Test
    void runTimeout_stopsAStreamingRun_abortsTheHttpStream_andKeepsThePartialOutput() {
        Map<String, String> env = llmEnvironment(llm.baseUrl(), null);
        env.put("OVERSEER_RUN_TIMEOUT_SECONDS", "1");
        llm.script(ScriptedLlmServer.slowStream("tick ", Duration.ofMillis(100)));
        try (TestServer timed = TestServer.start(env)) {
            String token = timed.token("alice");
            Run run = runOverWs(timed, token, "Count slowly.", null, null);
            Duration took = between(run.event(0), run.events().getLast());

            List<String> types = types(run.events());
            assertThat(types.subList(types.size() - 2, types.size())).containsExactly("agent_error", "run_failed");
            assertThat(types.subList(0, types.size() - 2)).containsOnly("agent_started", "agent_message_delta")
                    .contains("agent_message_delta");
            assertThat(run.events().getLast().path("payload").path("code").asText()).isEqualTo("run_timeout");
            // The timer starts when the run is admitted, a moment before agent_started.
            assertThat(took).isGreaterThan(Duration.ofMillis(800)).isLessThan(Duration.ofSeconds(1).plus(TIMING_MARGIN));
            assertThat(llm.request(0).outcome()).succeedsWithin(Duration.ofSeconds(2))
                    .isEqualTo(Outcome.CLIENT_CLOSED);
            JsonNode stored = new Http(timed, token).get("/api/runs/" + run.runId()).json();
            assertThat(stored.path("status").asText()).isEqualTo("failed");
            assertThat(stored.path("error").path("code").asText()).isEqualTo("run_timeout");
            assertThat(stored.path("output").asText()).isEqualTo(String.join("", deltas(run.events())));
        }
    }

    // ---- e: 429 with Retry-After ---------------------------------------------------------------------

    @Test
    void rateLimited429_withRetryAfter_isRetriedAfterTheAskedDelay_andTheRunCompletes() {
        llm.script(
                ScriptedLlmServer.status(429, Map.of("Retry-After", "1"), ScriptedLlmServer.errorBody("Rate limit reached")),
                answer(3, 1, "Done."));

        Run run = runOverWs(server.token("alice"), "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_message_delta", "agent_completed",
                "run_completed");
        assertThat(run.event(3).path("payload").path("output").asText()).isEqualTo("Done.");
        assertThat(llm.requests()).hasSize(2);
        Duration apart = Duration.ofNanos(llm.request(1).receivedNanos() - llm.request(0).receivedNanos());
        assertThat(apart).isGreaterThanOrEqualTo(Duration.ofSeconds(1)).isLessThan(Duration.ofSeconds(3));
        assertThat(llm.request(1).body()).isEqualTo(llm.request(0).body());
    }

    @Test
    void cancelRun_whileBackingOffAfterA429_endsTheRunAtOnce_withoutAnotherRequest() {
        llm.script(ScriptedLlmServer.status(429, Map.of("Retry-After", "30"),
                ScriptedLlmServer.errorBody("Rate limit reached")));
        try (WsClient client = WsClient.connect(server, server.token("alice"))) {
            client.nextOfType("connection_established");
            client.send("{\"type\":\"start_agent\",\"content\":\"Hi\"}");
            String runId = client.nextOfType("run_accepted").path("run_id").asText();
            await().atMost(Duration.ofSeconds(2)).until(() -> llm.requests().size() == 1);
            await().atMost(Duration.ofSeconds(2)).until(() -> llm.request(0).outcome().isDone());

            long cancelledAt = System.nanoTime();
            client.send("{\"type\":\"cancel_run\",\"run_id\":\"" + runId + "\"}");
            JsonNode terminal;
            do {
                terminal = nextRunEvent(client, runId);
            } while (!WsClient.isTerminal(terminal));

            assertThat(terminal.path("type").asText()).isEqualTo("run_cancelled");
            assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(CANCEL_WITHIN);
            assertThat(llm.requests()).hasSize(1);
        }
    }

    // ---- f: a malformed chunk -----------------------------------------------------------------------

    @Test
    void malformedChunk_failsTheRunWithLlmError_afterAnAgentError() {
        llm.script(stream().content("Hel").data("{\"choices\":[{\"delta\":{\"content\":\"lo\"}").done());
        String token = server.token("alice");

        Run run = runOverWs(token, "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_message_delta", "agent_error",
                "run_failed");
        assertThat(run.event(2).path("payload").path("code").asText()).isEqualTo("llm_error");
        assertThat(run.event(3).path("payload").path("code").asText()).isEqualTo("llm_error");
        assertThat(run.event(3).path("payload").path("message").asText()).contains("malformed");
        JsonNode stored = new Http(server, token).get("/api/runs/" + run.runId()).json();
        assertThat(stored.path("status").asText()).isEqualTo("failed");
        assertThat(stored.path("error").path("code").asText()).isEqualTo("llm_error");
        assertThat(llm.requests()).hasSize(1);
    }

    @Test
    void answerThatIsNotAnEventStream_failsWithLlmError_insteadOfCompletingEmpty() {
        // A server that ignores "stream": true answers with one chat.completion object.
        llm.script(ScriptedLlmServer.status(200, Map.of(), """
                {"id":"chatcmpl-1","object":"chat.completion","model":"test-model",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"""));

        Run run = runOverWs(server.token("alice"), "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
        assertThat(run.events().getLast().path("payload").path("code").asText()).isEqualTo("llm_error");
        assertThat(run.events().getLast().path("payload").path("message").asText())
                .contains("did not answer with an event stream").contains("chat.completion");
    }

    @Test
    void emptyAnswer_failsWithLlmError_insteadOfCompletingEmpty() {
        llm.script(ScriptedLlmServer.stream().build());

        Run run = runOverWs(server.token("alice"), "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
        assertThat(run.events().getLast().path("payload").path("code").asText()).isEqualTo("llm_error");
        assertThat(run.events().getLast().path("payload").path("message").asText()).contains("the body was empty");
    }

    @Test
    void errorChunkInTheStream_failsTheRunWithLlmError_carryingTheProvidersMessage() {
        llm.script(stream().data("{\"error\":{\"message\":\"The server had an error while processing your request.\"}}")
                .done());

        Run run = runOverWs(server.token("alice"), "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
        assertThat(run.event(2).path("payload").path("code").asText()).isEqualTo("llm_error");
        assertThat(run.event(2).path("payload").path("message").asText())
                .contains("The server had an error while processing your request.");
    }

    // ---- g: timeouts and unavailable providers ---------------------------------------------------------

    @Test
    void providerThatNeverAnswers_failsWithLlmTimeout_withinTheStreamTimeout() {
        llm.respondWith(request -> ScriptedLlmServer.neverAnswer());

        Run run = runOverWs(server.token("alice"), "Hello?", null, null);
        Duration took = between(run.event(0), run.events().getLast());

        assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
        assertThat(run.event(2).path("payload").path("code").asText()).isEqualTo("llm_timeout");
        assertThat(run.event(2).path("payload").path("message").asText())
                .contains("within " + STREAM_TIMEOUT_SECONDS + " s");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(STREAM_TIMEOUT_SECONDS))
                .isLessThan(Duration.ofSeconds(STREAM_TIMEOUT_SECONDS).plus(TIMING_MARGIN));
        assertThat(llm.requests()).hasSize(1);
    }

    @Test
    void providerThatFallsSilentMidStream_failsWithLlmTimeout_afterTheStreamTimeout() {
        llm.script(stream().content("Hel").pause(Duration.ofSeconds(10)).content("lo").done());

        Run run = runOverWs(server.token("alice"), "Hello?", null, null);
        Duration took = between(run.event(1), run.events().getLast());

        assertThat(types(run.events())).containsExactly("agent_started", "agent_message_delta", "agent_error",
                "run_failed");
        assertThat(run.event(3).path("payload").path("code").asText()).isEqualTo("llm_timeout");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(STREAM_TIMEOUT_SECONDS))
                .isLessThan(Duration.ofSeconds(STREAM_TIMEOUT_SECONDS).plus(TIMING_MARGIN));
        assertThat(llm.requests()).hasSize(1);
    }

    @Test
    void serverErrorOnEveryAttempt_failsWithLlmUnavailable_afterMaxAttemptsRequests() {
        for (int i = 0; i < MAX_ATTEMPTS; i++) {
            llm.script(error(500, "The server had an error"));
        }

        Run run = runOverWs(server.token("alice"), "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
        JsonNode failed = run.event(2).path("payload");
        assertThat(failed.path("code").asText()).isEqualTo("llm_unavailable");
        assertThat(failed.path("message").asText()).contains("500").contains(MAX_ATTEMPTS + " attempts");
        assertThat(run.event(1).path("payload").path("code").asText()).isEqualTo("llm_unavailable");
        assertThat(llm.requests()).hasSize(MAX_ATTEMPTS);
    }

    @Test
    void badRequest400_failsWithLlmError_carryingTheProvidersMessage_withoutRetrying() {
        llm.script(error(400, "This model's maximum context length is 8192 tokens."));
        String token = server.token("alice");

        Run run = runOverWs(token, "Hi", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
        JsonNode failed = run.event(2).path("payload");
        assertThat(failed.path("code").asText()).isEqualTo("llm_error");
        assertThat(failed.path("message").asText()).contains("400")
                .contains("This model's maximum context length is 8192 tokens.");
        JsonNode stored = new Http(server, token).get("/api/runs/" + run.runId()).json();
        assertThat(stored.path("error").path("code").asText()).isEqualTo("llm_error");
        assertThat(stored.path("error").path("message").asText())
                .contains("This model's maximum context length is 8192 tokens.");
        assertThat(llm.requests()).hasSize(1);
    }

    @Test
    void connectionRefused_failsWithLlmUnavailable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, String> env = llmEnvironment("http://127.0.0.1:" + closedPort + "/v1", null);
        env.put("OVERSEER_LLM_MAX_ATTEMPTS", "2");
        try (TestServer refused = TestServer.start(env)) {
            Run run = runOverWs(refused, refused.token("alice"), "Hi", null, null);

            assertThat(types(run.events())).containsExactly("agent_started", "agent_error", "run_failed");
            assertThat(run.event(2).path("payload").path("code").asText()).isEqualTo("llm_unavailable");
            assertThat(run.event(2).path("payload").path("message").asText()).contains("2 attempts");
        }
    }

    // ---- h: bad tool calls go back to the model ---------------------------------------------------------

    @Test
    void invalidArguments_unknownTool_andFailingTool_goBackToTheModelAsToolResults_andTheRunCompletes() {
        llm.script(
                stream().toolCall(0, "call_bad", "calculator", "{\"expression\": 6*")
                        .toolCall(1, "call_unknown", "teleport", "{\"to\":\"Mars\"}")
                        .toolCall(2, "call_zero", "calculator", "{\"expression\":\"1/0\"}")
                        .finish("tool_calls").done(),
                answer(1, 1, "Sorry, none of that worked."));

        Run run = runOverWs(server.token("alice"), "Try things.", null, null);

        assertThat(types(run.events())).containsExactly("agent_started", "tool_executing", "tool_completed",
                "tool_executing", "tool_completed", "tool_executing", "tool_completed", "agent_message_delta",
                "agent_completed", "run_completed");
        assertThat(run.event(1).path("payload").path("arguments").asText()).isEqualTo("{\"expression\": 6*");
        List<String> errors = new ArrayList<>();
        for (int i : new int[] {2, 4, 6}) {
            JsonNode completed = run.event(i).path("payload");
            assertThat(completed.path("result").isNull()).isTrue();
            assertThat(completed.path("error").isTextual()).isTrue();
            errors.add(completed.path("error").asText());
        }
        assertThat(errors.get(0)).containsIgnoringCase("JSON");
        assertThat(errors.get(1)).contains("teleport");
        assertThat(errors.get(2)).contains("division by zero");

        RecordedRequest second = llm.request(1);
        JsonNode calls = second.messages("assistant").get(0).path("tool_calls");
        assertThat(calls.get(0).path("function").path("arguments").asText()).isEqualTo("{\"expression\": 6*");
        assertThat(calls.get(1).path("function").path("name").asText()).isEqualTo("teleport");
        List<JsonNode> results = second.messages("tool");
        assertThat(results).extracting(m -> m.path("tool_call_id").asText())
                .containsExactly("call_bad", "call_unknown", "call_zero");
        for (int i = 0; i < 3; i++) {
            assertThat(json(results.get(i).path("content").asText()).path("error").asText()).isEqualTo(errors.get(i));
        }
        assertThat(run.event(9).path("payload").path("output").asText()).isEqualTo("Sorry, none of that worked.");
    }

    // ---- i: max steps ---------------------------------------------------------------------------------

    @Test
    void modelThatCallsToolsForever_failsWithMaxSteps_afterMaxStepsRequests() {
        AtomicInteger calls = new AtomicInteger();
        llm.respondWith(request -> stream().toolCall(0, "call_" + calls.incrementAndGet(), "clock", "{}")
                .finish("tool_calls").done());

        Run run = runOverWs(server.token("alice"), "Loop.", null, null);

        List<String> expected = new ArrayList<>(List.of("agent_started"));
        for (int i = 0; i < MAX_STEPS; i++) {
            expected.addAll(List.of("tool_executing", "tool_completed"));
        }
        expected.addAll(List.of("agent_error", "run_failed"));
        assertThat(types(run.events())).containsExactlyElementsOf(expected);
        assertThat(run.events().getLast().path("payload").path("code").asText()).isEqualTo("max_steps");
        assertThat(run.events().get(run.events().size() - 2).path("payload").path("code").asText())
                .isEqualTo("max_steps");
        assertThat(llm.requests()).hasSize(MAX_STEPS);
        assertThat(llm.requests().getLast().messages("tool")).hasSize(MAX_STEPS - 1);
    }

    // ---- j: isolation --------------------------------------------------------------------------------

    @Test
    void twoUsersConcurrentRuns_eachModelRequestHoldsOnlyThatUsersMessagesAndToolResults() throws Exception {
        Map<String, String> expressions = Map.of("alice", "6*7", "bob", "100+23");
        Map<String, String> results = Map.of("alice", "42", "bob", "123");
        CountDownLatch bothAsked = new CountDownLatch(2);
        AtomicInteger overlapping = new AtomicInteger();
        llm.respondWith(request -> {
            String user = request.messages("user").getLast().path("content").asText().startsWith("alice") ? "alice" : "bob";
            if (request.messages("tool").isEmpty()) {
                bothAsked.countDown();
                try {
                    // Both runs are in flight before either goes on (well within the stream timeout).
                    if (bothAsked.await(1500, TimeUnit.MILLISECONDS)) {
                        overlapping.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return stream().toolCall(0, "call_" + user, "calculator",
                        "{\"expression\":\"" + expressions.get(user) + "\"}").finish("tool_calls").done();
            }
            String result = request.messages("tool").getLast().path("content").asText();
            return answer(1, 1, user + " gets " + result);
        });

        try (ExecutorService users = Executors.newFixedThreadPool(2)) {
            Future<Run> alice = users.submit(
                    () -> runOverWs(server.token("alice"), "alice asks: what is 6*7?", null, null));
            Future<Run> bob = users.submit(
                    () -> runOverWs(server.token("bob"), "bob asks: what is 100+23?", null, null));

            assertThat(alice.get(20, TimeUnit.SECONDS).events().getLast().path("payload").path("output").asText())
                    .isEqualTo("alice gets 42");
            assertThat(bob.get(20, TimeUnit.SECONDS).events().getLast().path("payload").path("output").asText())
                    .isEqualTo("bob gets 123");
        }
        assertThat(overlapping.get()).as("first-step requests that overlapped with the other user's").isEqualTo(2);
        assertThat(llm.requests()).hasSize(4);
        for (RecordedRequest request : llm.requests()) {
            String text = request.body().toString();
            boolean forAlice = text.contains("alice asks");
            String user = forAlice ? "alice" : "bob";
            String other = forAlice ? "bob" : "alice";
            assertThat(text).contains(user + " asks").doesNotContain(other + " asks").doesNotContain("call_" + other);
            for (JsonNode tool : request.messages("tool")) {
                assertThat(tool.path("tool_call_id").asText()).isEqualTo("call_" + user);
                assertThat(tool.path("content").asText()).isEqualTo(results.get(user));
            }
            assertThat(request.messages("user")).hasSize(1);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------

    /** One run as a WebSocket client saw it. */
    record Run(String runId, String threadId, List<JsonNode> events) {
        JsonNode event(int index) {
            return events.get(index);
        }
    }

    private static Run runOverWs(String token, String content, String threadId, String agent) {
        return runOverWs(server, token, content, threadId, agent);
    }

    /** Starts a run over a new WebSocket connection and collects its events up to the terminal one. */
    private static Run runOverWs(TestServer target, String token, String content, String threadId, String agent) {
        try (WsClient client = WsClient.connect(target, token)) {
            client.nextOfType("connection_established");
            ObjectNode start = WsClient.JSON.createObjectNode().put("type", "start_agent").put("content", content);
            if (threadId != null) {
                start.put("thread_id", threadId);
            }
            if (agent != null) {
                start.put("agent", agent);
            }
            client.send(start);
            JsonNode accepted = client.nextOfType("run_accepted");
            String runId = accepted.path("run_id").asText();
            List<JsonNode> events = client.runEvents(runId);
            assertThat(events).extracting(e -> e.path("seq").asInt())
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, events.size()).boxed().toList());
            return new Run(runId, accepted.path("thread_id").asText(), events);
        }
    }

    private static JsonNode nextRunEvent(WsClient client, String runId) {
        while (true) {
            JsonNode frame = client.next(Duration.ofSeconds(5));
            if (runId.equals(frame.path("run_id").asText()) && frame.has("seq")) {
                return frame;
            }
        }
    }

    /** The run is stored cancelled, with the streamed text so far as its output, and its events replay exactly. */
    private static void assertCancelledWithPartialOutput(String token, String runId, List<JsonNode> liveEvents) {
        Http http = new Http(server, token);
        JsonNode stored = http.get("/api/runs/" + runId).json();
        assertThat(stored.path("status").asText()).isEqualTo("cancelled");
        String partial = String.join("", deltas(liveEvents));
        assertThat(partial).isNotEmpty();
        assertThat(stored.path("output").asText()).isEqualTo(partial);
        assertThat(stored.path("error").isNull()).isTrue();
        assertThat(storedEvents(http, runId)).containsExactlyElementsOf(liveEvents);
    }

    private static List<JsonNode> storedEvents(Http http, String runId) {
        List<JsonNode> events = new ArrayList<>();
        http.get("/api/runs/" + runId + "/events").json().path("data").forEach(events::add);
        return events;
    }

    /** The time between two events, by the server's timestamps. */
    private static Duration between(JsonNode earlier, JsonNode later) {
        return Duration.between(Instant.parse(earlier.path("timestamp").asText()),
                Instant.parse(later.path("timestamp").asText()));
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.path("type").asText()).toList();
    }

    private static List<String> deltas(List<JsonNode> events) {
        return events.stream().filter(e -> e.path("type").asText().equals("agent_message_delta"))
                .map(e -> e.path("payload").path("text").asText()).toList();
    }

    private static JsonNode json(String text) {
        try {
            return WsClient.JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String quoted(String text) {
        return WsClient.JSON.getNodeFactory().textNode(text).toString();
    }
}
