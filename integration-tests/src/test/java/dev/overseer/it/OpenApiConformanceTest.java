package dev.overseer.it;

import static dev.overseer.it.ScriptedLlmServer.answer;
import static dev.overseer.it.ScriptedLlmServer.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.AnnotationKeyword;
import dev.overseer.core.store.ApprovalDecision;
import dev.overseer.http.ApiActionsModule;
import dev.overseer.http.ApiRoute;
import dev.overseer.it.EventStreamClient.Event;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /openapi.json} describes the API that is really served: every route with its method, every
 * response (status, content type, body) the server gives validates against the schema described for it, and
 * every run event, in a JSON page or an event stream, validates against the schema its {@code type} selects.
 */
class OpenApiConformanceTest {
    private static final String DOCUMENT_IRI = "https://overseer.invalid/openapi.json";
    private static final String RUN_EVENT = "/components/schemas/RunEvent";
    /** The MCP reference server, whose long-running operation reports progress; absent where npm did not install it. */
    private static final boolean MCP_INSTALLED = Files.isExecutable(McpToolsTest.EVERYTHING);
    /** The routes served outside the API router, next to {@link ApiActionsModule#ROUTES}. */
    private static final List<ApiRoute> PUBLIC_ROUTES = List.of(
            new ApiRoute("GET", "/healthz", "health"),
            new ApiRoute("GET", "/readyz", "ready"),
            new ApiRoute("GET", "/metrics", "metrics"),
            new ApiRoute("GET", "/openapi.json", "openapi"),
            new ApiRoute("GET", "/asyncapi.json", "asyncapi"),
            new ApiRoute("GET", "/ws", "webSocket"));

    private static TestServer server;
    private static String documentText;
    private static JsonNode document;
    private static SchemaRegistry schemas;
    private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();
    /** Every (method template status content-type) validated, to show what the test covered. */
    private static final Set<String> COVERED = new LinkedHashSet<>();

    @BeforeAll
    static void startServer() {
        // Two active runs per user, so that 429 too_many_runs is cheap to provoke.
        // An agent whose calculator calls wait for approval, for the approvals route.
        server = TestServer.start(Map.of("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "2", "OVERSEER_AGENTS_FILE",
                conformanceAgents()));
        Http.Response served = new Http(server, null).get("/openapi.json");
        assertThat(served.status()).isEqualTo(200);
        documentText = served.body();
        document = served.json();
        // The OpenAPI 3.1 base dialect (JSON Schema 2020-12 plus the OAS keywords); the document's own keywords
        // (paths, components, …) around the schemas are annotations, not errors.
        Dialect openApi31 = Dialect.builder(Dialects.getOpenApi31())
                .unknownKeywordFactory((keyword, context) -> new AnnotationKeyword(keyword))
                .build();
        schemas = SchemaRegistry.withDefaultDialect(openApi31, builder -> builder
                .schemas(Map.of(DOCUMENT_IRI, documentText))
                .schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
    }

    /**
     * The agent gatekeeper, whose calculator calls wait for approval; and, where it is installed, the MCP reference
     * server, whose tools the supervisor may call (its long-running operation reports progress: tool_progress).
     */
    private static String conformanceAgents() {
        try {
            Path agents = Files.createTempDirectory("overseer-conformance-").resolve("agents.json");
            String mcpServers = MCP_INSTALLED ? """
                    "mcp_servers": {"everything": {"command": %s, "timeout_seconds": 20}},
                    """.formatted(TextNode.valueOf(McpToolsTest.EVERYTHING.toString())) : "";
            Files.writeString(agents, """
                    {%s"agents": [{"name": "gatekeeper", "description": "Computes, once a person agrees.",
                                 "system_prompt": "Use the calculator.", "tools": ["calculator"],
                                 "require_approval": ["calculator"]}]}""".formatted(mcpServers));
            return agents.toString();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void openApiJson_isAnOpenApi31Document_servedAsJsonWithoutAuth() {
        Http.Response served = new Http(server, null).get("/openapi.json");
        assertThat(served.header("Content-Type")).startsWith("application/json");
        assertThat(document.path("openapi").asText()).startsWith("3.1.");
        assertThat(document.path("info").path("title").asText()).isNotBlank();
        assertThat(document.path("paths").isObject()).isTrue();
        assertThat(document.path("components").path("securitySchemes").path("bearer").path("scheme").asText())
                .isEqualTo("bearer");
        // Relative: the API is wherever the document was fetched from, behind any host, port or proxy.
        assertThat(document.path("servers")).extracting(entry -> entry.path("url").asText()).containsExactly("/");
        // Every reference points at something that exists.
        List<String> refs = new ArrayList<>();
        collectRefs(document, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(ref).startsWith("#/");
            assertThat(document.at(ref.substring(1)).isMissingNode()).as("target of %s", ref).isFalse();
        }
    }

    @Test
    void schemaValidation_rejectsBodiesThatBreakTheDocument() {
        String thread = "/components/schemas/Thread";
        assertThat(errors(thread, "{\"id\":\"thr_1\",\"title\":null,\"metadata\":{},"
                + "\"created_at\":\"2026-11-28T10:00:00.123Z\",\"updated_at\":\"2026-11-28T10:00:00.123Z\"}")).isEmpty();
        assertThat(errors(thread, "{\"id\":\"thr_1\",\"title\":null,\"metadata\":{},\"created_at\":\"2026-11-28T10:00:00.123Z\"}"))
                .as("missing updated_at").isNotEmpty();
        assertThat(errors(thread, "{\"id\":\"thr_1\",\"title\":5,\"metadata\":{},"
                + "\"created_at\":\"2026-11-28T10:00:00.123Z\",\"updated_at\":\"2026-11-28T10:00:00.123Z\"}"))
                .as("title of the wrong type").isNotEmpty();
        assertThat(errors(thread, "{\"id\":\"thr_1\",\"title\":null,\"metadata\":{},"
                + "\"created_at\":\"yesterday\",\"updated_at\":\"2026-11-28T10:00:00.123Z\"}"))
                .as("a timestamp that is not a date-time").isNotEmpty();
        assertThat(errors("/components/schemas/ThreadPage", "{\"data\":[{\"id\":\"x\"}],\"next_cursor\":null}"))
                .as("a page whose item is no Thread (through $ref)").isNotEmpty();
        assertThat(errors("/components/schemas/Problem", "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
                + "\"detail\":\"x\"}")).as("a problem without code").isNotEmpty();

        String envelope = "\"run_id\":\"run_1\",\"thread_id\":\"thr_1\",\"seq\":4,\"timestamp\":\"2026-11-28T10:00:00.123Z\","
                + "\"agent\":\"supervisor\"";
        String completed = "{\"type\":\"tool_completed\"," + envelope + ",\"payload\":{\"tool_call_id\":\"call_1\","
                + "\"tool\":\"calculator\",\"result\":42,\"duration_ms\":6,\"error\":null}}";
        assertThat(errors(RUN_EVENT, completed)).isEmpty();
        assertThat(errors(RUN_EVENT, completed.replace(",\"duration_ms\":6", "")))
                .as("a tool_completed payload without duration_ms").isNotEmpty();
        assertThat(errors(RUN_EVENT, completed.replace("\"error\":null", "\"error\":false")))
                .as("a tool_completed error that is neither a string nor null").isNotEmpty();
        assertThat(errors(RUN_EVENT, completed.replace("\"seq\":4", "\"seq\":0"))).as("seq 0").isNotEmpty();
        assertThat(errors(RUN_EVENT, completed.replace("\"agent\":\"supervisor\"", "\"agent\":\"supervisor\",\"extra\":1")))
                .as("a field the envelope does not have").isNotEmpty();
        assertThat(errors(RUN_EVENT, "{\"type\":\"agent_completed\"," + envelope + ",\"payload\":{\"tool_call_id\":\"call_1\","
                + "\"tool\":\"calculator\",\"result\":42,\"duration_ms\":6,\"error\":null}}"))
                .as("the payload of another type").isNotEmpty();
        assertThat(errors(RUN_EVENT, "{\"type\":\"run_cancelled\"," + envelope + ",\"payload\":{}}")).isEmpty();
        assertThat(errors(RUN_EVENT, "{\"type\":\"run_cancelled\"," + envelope + ",\"payload\":{\"output\":\"x\"}}"))
                .as("a run_cancelled payload that is not empty").isNotEmpty();
        assertThat(errors(RUN_EVENT, "{\"type\":\"run_paused\"," + envelope + ",\"payload\":{}}"))
                .as("a type without a schema").isNotEmpty();
    }

    @Test
    void everyEventTypeOfTheServer_hasItsOwnSchema_selectedByTheDiscriminatorOnType() {
        JsonNode runEvent = document.at(RUN_EVENT);
        assertThat(runEvent.path("discriminator").path("propertyName").asText()).isEqualTo("type");
        JsonNode mapping = runEvent.path("discriminator").path("mapping");
        Set<String> mapped = new TreeSet<>();
        mapping.fieldNames().forEachRemaining(mapped::add);
        assertThat(mapped).as("the event types RunEvent's discriminator maps to a schema")
                .containsExactlyInAnyOrderElementsOf(EventTypes.ofTheCode());
        Set<String> alternatives = new TreeSet<>();
        runEvent.path("oneOf").forEach(alternative -> alternatives.add(alternative.path("$ref").asText()));
        Set<String> targets = new TreeSet<>();
        mapping.forEach(target -> targets.add(target.asText()));
        assertThat(alternatives).as("RunEvent's oneOf alternatives are the mapped schemas").isEqualTo(targets);
        for (String type : mapped) {
            String target = mapping.path(type).asText();
            assertThat(target).startsWith("#/components/schemas/");
            JsonNode schema = document.at(target.substring(1));
            assertThat(schema.path("properties").path("type").path("const").asText()).as("the type %s names", target)
                    .isEqualTo(type);
            assertThat(schema.path("required")).extracting(JsonNode::asText).as("required fields of %s", target)
                    .containsExactlyInAnyOrder("type", "run_id", "thread_id", "seq", "timestamp", "agent", "payload");
            assertThat(schema.path("additionalProperties").isBoolean() && !schema.path("additionalProperties").asBoolean())
                    .as("%s has additionalProperties false", target).isTrue();
        }
        assertThat(document.at("/components/schemas/ApprovalResolvedPayload/properties/by/enum"))
                .extracting(JsonNode::asText).as("approval_resolved's by")
                .containsExactlyInAnyOrder(ApprovalDecision.BY_USER, ApprovalDecision.BY_TIMEOUT);
    }

    @Test
    void runEvents_ofEveryTypeTheServerEmits_validateAgainstTheSchemaTheirTypeSelects() {
        String token = server.token("openapi-events");
        Http http = new Http(server, token);
        Set<String> emitted = new TreeSet<>();

        // agent_started, agent_thinking, tool_executing, tool_completed, agent_completed, run_completed.
        emitted.addAll(checkedRun(server, token, runBody("What is 6*7?", null), event -> { }));
        // run_cancelled, while the wait tool waits.
        List<String> cancelled = checkedRun(server, token, runBody("wait 10 seconds", null), event -> {
            if (event.path("type").asText().equals("tool_executing")) {
                assertThat(http.post("/api/runs/" + event.path("run_id").asText() + "/cancel", "").status())
                        .isIn(200, 202);
            }
        });
        assertThat(cancelled).endsWith("run_cancelled");
        emitted.addAll(cancelled);
        // approval_requested, approval_resolved (rejected, with a reason; then approved), and the rejected call's
        // tool_completed with its error.
        for (String answer : List.of("\"approved\":false,\"reason\":\"not now\"", "\"approved\":true")) {
            List<String> approval = checkedRun(server, token, runBody("What is 6*7?", "gatekeeper"), event -> {
                if (event.path("type").asText().equals("approval_requested")) {
                    String body = "{\"tool_call_id\":\"" + event.path("payload").path("tool_call_id").asText() + "\","
                            + answer + "}";
                    assertThat(http.post("/api/runs/" + event.path("run_id").asText() + "/approvals", body).status())
                            .isEqualTo(200);
                }
            });
            assertThat(approval).containsSubsequence("approval_requested", "approval_resolved", "tool_completed",
                    "run_completed");
            emitted.addAll(approval);
        }
        // agent_error and run_failed: the offline model is asked for a tool the agent does not have.
        List<String> failed = checkedRun(server, token, runBody("use no_such_tool {}", null), event -> { });
        assertThat(failed).containsSubsequence("agent_error", "run_failed");
        emitted.addAll(failed);
        // tool_progress: the MCP reference server's long-running operation reports each step.
        if (MCP_INSTALLED) {
            Http anonymous = new Http(server, null);
            await("the MCP server is connected").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> anonymous.get("/readyz").json().path("mcp").path("everything").asText(),
                            "connected"::equals);
            List<String> progress = checkedRun(server, token,
                    runBody("use everything__trigger-long-running-operation {\"duration\":1,\"steps\":2}", null),
                    event -> { });
            assertThat(progress).containsSubsequence("tool_executing", "tool_progress", "tool_completed", "run_completed");
            emitted.addAll(progress);
        }
        // agent_message_delta, a sub-agent's agent_started (parent_agent set), arguments that are not JSON, and
        // run_completed with usage: a model that streams (a real OpenAI-compatible endpoint on loopback).
        try (ScriptedLlmServer llm = ScriptedLlmServer.start();
                TestServer modelled = TestServer.start(LlmAgentTest.llmEnvironment(llm.baseUrl(), researcherAgent()))) {
            llm.script(
                    stream().toolCall(0, "call_r", "researcher", "{\"task\":\"Work out 6*7.\"}")
                            .toolCall(1, "call_x", "calculator", "not json").finish("tool_calls").usage(20, 2).done(),
                    answer(10, 1, "42"),
                    answer(30, 3, "The answer ", "is 42."));
            String modelToken = modelled.token("openapi-events");
            List<JsonNode> events = new ArrayList<>();
            emitted.addAll(checkedRun(modelled, modelToken, runBody("What is 6*7?", null), events::add));
            llm.assertScriptUsedUp();
            assertThat(events)
                    .anySatisfy(event -> assertThat(event.at("/payload/parent_agent").asText()).isEqualTo("supervisor"))
                    .anySatisfy(event -> assertThat(event.at("/payload/arguments").isTextual()).isTrue())
                    .anySatisfy(event -> assertThat(event.at("/payload/usage").isObject()).isTrue());
        }

        Map<String, String> notEmitted = eventTypesNotProduced();
        Set<String> expected = new TreeSet<>(EventTypes.ofTheCode());
        expected.removeAll(notEmitted.keySet());
        assertThat(emitted).as("event types emitted and validated (not produced here: %s)", notEmitted)
                .containsExactlyInAnyOrderElementsOf(expected);
    }

    /**
     * Event types the server defines that this test cannot make it emit, each with the reason. The others are all
     * produced, and a type missing from both fails the test.
     */
    private static Map<String, String> eventTypesNotProduced() {
        return MCP_INSTALLED ? Map.of() : Map.of("tool_progress", "only an MCP server's progress notifications produce it, "
                + "and the MCP reference server is not installed (npm ci --prefix integration-tests/mcp)");
    }

    /** A sub-agent for the run with a streaming model. */
    private static Path researcherAgent() {
        try {
            Path agents = Files.createTempDirectory("overseer-conformance-llm-").resolve("agents.json");
            Files.writeString(agents, """
                    {"agents": [{"name": "researcher", "description": "Works things out.", "system_prompt": "Work it out.",
                                 "tools": ["clock"]}]}""");
            return agents;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String runBody(String content, String agent) {
        var body = WsClient.JSON.createObjectNode().put("content", content);
        if (agent != null) {
            body.put("agent", agent);
        }
        return body.toString();
    }

    /**
     * Starts a run on a new thread of {@code token}'s user with {@code Accept: text/event-stream} and hands each event
     * to {@code react} as it arrives (to cancel or approve); then reads the run's events again, replayed as SSE and as
     * a JSON page. Every event from each source validates against the schema its type selects, and the three sources
     * agree. Returns the types, in order.
     */
    private static List<String> checkedRun(TestServer target, String token, String body, Consumer<JsonNode> react) {
        Http http = new Http(target, token);
        List<JsonNode> live = new ArrayList<>();
        try (EventStreamClient stream = EventStreamClient.open(EventStreamClient.request(target, token,
                "/api/threads/" + http.createThread() + "/runs").POST(HttpRequest.BodyPublishers.ofString(body)).build())) {
            assertThat(stream.status()).as("streamed start of %s", body).isEqualTo(200);
            while (live.isEmpty() || !WsClient.isTerminal(live.getLast())) {
                switch (stream.next(Duration.ofSeconds(30))) {
                    case Event event -> {
                        JsonNode json = streamedEvent(event, "POST /api/threads/{id}/runs " + body);
                        live.add(json);
                        react.accept(json);
                    }
                    case EventStreamClient.Comment comment -> {
                    }
                    case EventStreamClient.End end -> throw new AssertionError("the stream of " + body
                            + " ended before the terminal event, after " + live, end.error());
                }
            }
        }
        String run = live.getFirst().path("run_id").asText();
        try (EventStreamClient replay = EventStreamClient.open(EventStreamClient.request(target, token,
                "/api/runs/" + run + "/events").build())) {
            List<JsonNode> replayed = replay.eventsUntilTerminal().stream()
                    .map(event -> streamedEvent(event, "GET /api/runs/{id}/events " + body)).toList();
            assertThat(replayed).as("replayed events of %s", body).isEqualTo(live);
        }
        Http.Response page = http.get("/api/runs/" + run + "/events");
        try {
            check("GET", "/api/runs/{id}/events", page);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(page.json().path("data")).as("stored events of %s", body).containsExactlyElementsOf(live);
        return live.stream().map(event -> event.path("type").asText()).toList();
    }

    /** An SSE event: its id is the event's seq, its name the event's type, and its data a valid typed event. */
    private static JsonNode streamedEvent(Event event, String what) {
        JsonNode json = event.json();
        assertThat(event.id()).as("id of %s", json).isEqualTo(json.path("seq").asText());
        assertThat(event.event()).as("event name of %s", json).isEqualTo(json.path("type").asText());
        assertTypedEvent(json, what + " event " + event.id());
        return json;
    }

    /**
     * A run event validates against the schema RunEvent's discriminator selects for its type (which must have one),
     * and against RunEvent itself.
     */
    private static void assertTypedEvent(JsonNode event, String what) {
        String type = event.path("type").asText();
        JsonNode target = document.at(RUN_EVENT).path("discriminator").path("mapping").path(type);
        assertThat(target.isTextual()).as("%s: event type '%s' has a schema in RunEvent's discriminator mapping", what, type)
                .isTrue();
        assertValid(target.asText().substring(1), event, what);
        assertValid(RUN_EVENT, event, what);
    }

    @Test
    void everyServedRoute_isDescribedWithItsMethod() {
        List<ApiRoute> served = new ArrayList<>(ApiActionsModule.ROUTES);
        served.addAll(PUBLIC_ROUTES);
        for (ApiRoute route : served) {
            JsonNode operation = operation(route.method(), route.template());
            assertThat(operation.isObject()).as("%s %s in openapi.json", route.method(), route.template()).isTrue();
            assertThat(operation.path("responses").isObject()).as("responses of %s %s", route.method(), route.template())
                    .isTrue();
        }
        // Operation ids name the action that serves them.
        for (ApiRoute route : ApiActionsModule.ROUTES) {
            assertThat(operation(route.method(), route.template()).path("operationId").asText())
                    .as("operationId of %s %s", route.method(), route.template()).isEqualTo(route.action());
        }
    }

    @Test
    void everyDescribedOperation_isServed() {
        Set<String> served = new LinkedHashSet<>();
        ApiActionsModule.ROUTES.forEach(route -> served.add(route.method() + " " + route.template()));
        PUBLIC_ROUTES.forEach(route -> served.add(route.method() + " " + route.template()));
        Set<String> described = new LinkedHashSet<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace").contains(method)) {
                described.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey());
            }
        }));
        assertThat(described).containsExactlyInAnyOrderElementsOf(served);
    }

    @Test
    void realResponses_validateAgainstTheDescribedSchemaOfTheirStatusAndContentType() throws IOException {
        String token = server.token("openapi-alice");
        Http http = new Http(server, token);
        Http anonymous = new Http(server, null);

        check("GET", "/healthz", anonymous.get("/healthz"));
        check("GET", "/readyz", anonymous.get("/readyz"));
        check("GET", "/metrics", anonymous.get("/metrics"));
        check("GET", "/openapi.json", anonymous.get("/openapi.json"));
        check("GET", "/asyncapi.json", anonymous.get("/asyncapi.json"));
        check("GET", "/ws", anonymous.get("/ws"));

        // Threads.
        Http.Response created = http.post("/api/threads", "{\"title\":\"conformance\",\"metadata\":{\"a\":[1,{\"b\":null}]}}");
        check("POST", "/api/threads", created);
        String thread = created.json().path("id").asText();
        check("POST", "/api/threads", http.post("/api/threads", ""));
        check("POST", "/api/threads", http.post("/api/threads", "{\"title\":3}"));
        check("POST", "/api/threads", anonymous.post("/api/threads", "{}"));
        check("POST", "/api/threads", http.post("/api/threads", "{\"title\":\"" + "x".repeat(1024 * 1024) + "\"}"));
        check("GET", "/api/threads", http.get("/api/threads?limit=1"));
        check("GET", "/api/threads", http.get("/api/threads"));
        check("GET", "/api/threads", http.get("/api/threads?limit=0"));
        check("GET", "/api/threads", anonymous.get("/api/threads"));
        check("GET", "/api/threads/{id}", http.get("/api/threads/" + thread));
        check("GET", "/api/threads/{id}", http.get("/api/threads/thr_00000000000000000000000000"));
        check("GET", "/api/threads/{id}", anonymous.get("/api/threads/" + thread));
        check("PATCH", "/api/threads/{id}", http.patch("/api/threads/" + thread, "{\"title\":null,\"metadata\":{}}"));
        check("PATCH", "/api/threads/{id}", http.patch("/api/threads/" + thread, "{\"metadata\":[]}"));
        check("PATCH", "/api/threads/{id}", http.patch("/api/threads/thr_00000000000000000000000000", "{}"));
        check("PATCH", "/api/threads/{id}", anonymous.patch("/api/threads/" + thread, "{}"));
        check("PATCH", "/api/threads/{id}", http.patch("/api/threads/" + thread,
                "{\"title\":\"" + "x".repeat(1024 * 1024) + "\"}"));

        // Runs: 202, waited 200, streamed 200, and the refusals.
        Http.Response accepted = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"wait 30 seconds\"}");
        check("POST", "/api/threads/{id}/runs", accepted);
        String waiting = accepted.json().path("id").asText();
        check("POST", "/api/threads/{id}/runs", http.post("/api/threads/" + thread + "/runs", "{\"content\":\"hi\"}"));
        String secondThread = http.createThread();
        Http.Response second = http.post("/api/threads/" + secondThread + "/runs", "{\"content\":\"wait 30 seconds\"}");
        check("POST", "/api/threads/{id}/runs", second);
        check("POST", "/api/threads/{id}/runs", http.post("/api/threads/" + http.createThread() + "/runs",
                "{\"content\":\"hi\"}"));
        check("DELETE", "/api/threads/{id}", http.delete("/api/threads/" + thread));
        check("GET", "/api/runs/{id}", http.get("/api/runs/" + waiting));
        check("GET", "/api/runs/{id}/events", http.get("/api/runs/" + waiting + "/events"));
        check("POST", "/api/runs/{id}/cancel", http.post("/api/runs/" + waiting + "/cancel", ""));
        check("POST", "/api/runs/{id}/cancel", http.post("/api/runs/" + second.json().path("id").asText() + "/cancel", ""));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + waiting).json().path("status").asText(), "cancelled"::equals);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + second.json().path("id").asText()).json().path("status").asText(),
                        "cancelled"::equals);
        check("GET", "/api/runs/{id}", http.get("/api/runs/" + waiting));
        check("POST", "/api/runs/{id}/cancel", http.post("/api/runs/" + waiting + "/cancel", ""));

        Http.Response waited = http.send(http.builder("/api/threads/" + thread + "/runs?wait=true")
                .header("Idempotency-Key", "conformance-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"What is 6*7?\"}")));
        check("POST", "/api/threads/{id}/runs", waited);
        String run = waited.json().path("id").asText();
        check("POST", "/api/threads/{id}/runs", http.send(http.builder("/api/threads/" + thread + "/runs?wait=true")
                .header("Idempotency-Key", "conformance-1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"What is 7*8?\"}"))));
        check("POST", "/api/threads/{id}/runs", http.post("/api/threads/" + thread + "/runs", "{\"content\":\"\"}"));
        check("POST", "/api/threads/{id}/runs", http.post("/api/threads/thr_00000000000000000000000000/runs",
                "{\"content\":\"hi\"}"));
        check("POST", "/api/threads/{id}/runs", anonymous.post("/api/threads/" + thread + "/runs", "{\"content\":\"hi\"}"));
        check("POST", "/api/threads/{id}/runs", http.post("/api/threads/" + thread + "/runs",
                "{\"content\":\"" + "x".repeat(1024 * 1024) + "\"}"));
        try (EventStreamClient stream = EventStreamClient.open(EventStreamClient.request(server, token,
                        "/api/threads/" + thread + "/runs")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"What is the time?\"}")).build())) {
            List<Event> events = stream.eventsUntilTerminal();
            stream.awaitEnd(Duration.ofSeconds(5));
            checkStream("POST", "/api/threads/{id}/runs", stream, events);
        }

        check("GET", "/api/runs/{id}", http.get("/api/runs/" + run));
        check("GET", "/api/runs/{id}", http.get("/api/runs/run_00000000000000000000000000"));
        check("GET", "/api/runs/{id}", anonymous.get("/api/runs/" + run));
        check("POST", "/api/runs/{id}/cancel", http.post("/api/runs/run_00000000000000000000000000/cancel", ""));
        check("POST", "/api/runs/{id}/cancel", anonymous.post("/api/runs/" + run + "/cancel", ""));
        check("POST", "/api/runs/{id}/cancel", http.post("/api/runs/" + run + "/cancel", "x".repeat(1024 * 1024 + 1)));
        check("GET", "/api/runs/{id}/events", http.get("/api/runs/" + run + "/events"));
        check("GET", "/api/runs/{id}/events", http.get("/api/runs/" + run + "/events?after=2&limit=2"));
        check("GET", "/api/runs/{id}/events", http.get("/api/runs/" + run + "/events?after=-1"));
        check("GET", "/api/runs/{id}/events", http.get("/api/runs/run_00000000000000000000000000/events"));
        check("GET", "/api/runs/{id}/events", anonymous.get("/api/runs/" + run + "/events"));
        try (EventStreamClient stream = EventStreamClient.open(EventStreamClient.request(server, token,
                "/api/runs/" + run + "/events").build())) {
            List<Event> events = stream.eventsUntilTerminal();
            stream.awaitEnd(Duration.ofSeconds(5));
            checkStream("GET", "/api/runs/{id}/events", stream, events);
        }

        // A tool call waiting for approval: the run with its pending call, the answer, and the refusals.
        String gated = http.post("/api/threads/" + http.createThread() + "/runs",
                "{\"content\":\"What is 6*7?\",\"agent\":\"gatekeeper\"}").json().path("id").asText();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + gated).json().path("status").asText(), "requires_action"::equals);
        Http.Response pending = http.get("/api/runs/" + gated);
        check("GET", "/api/runs/{id}", pending);
        String answer = "{\"tool_call_id\":\"" + pending.json().path("pending_approval").path("tool_call_id").asText()
                + "\",\"approved\":true}";
        check("POST", "/api/runs/{id}/approvals", http.post("/api/runs/" + gated + "/approvals",
                "{\"tool_call_id\":\"call_1\",\"approved\":\"yes\"}"));
        check("POST", "/api/runs/{id}/approvals", anonymous.post("/api/runs/" + gated + "/approvals", answer));
        check("POST", "/api/runs/{id}/approvals", http.post("/api/runs/run_00000000000000000000000000/approvals", answer));
        check("POST", "/api/runs/{id}/approvals", http.post("/api/runs/" + gated + "/approvals", answer));
        check("POST", "/api/runs/{id}/approvals", http.post("/api/runs/" + gated + "/approvals", answer));
        check("POST", "/api/runs/{id}/approvals", http.post("/api/runs/" + gated + "/approvals",
                "x".repeat(1024 * 1024 + 1)));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + gated).json().path("status").asText(), "completed"::equals);

        check("GET", "/api/threads/{id}/messages", http.get("/api/threads/" + thread + "/messages?limit=1"));
        check("GET", "/api/threads/{id}/messages", http.get("/api/threads/" + thread + "/messages"));
        check("GET", "/api/threads/{id}/messages", http.get("/api/threads/" + thread + "/messages?cursor=nonsense"));
        check("GET", "/api/threads/{id}/messages", http.get("/api/threads/thr_00000000000000000000000000/messages"));
        check("GET", "/api/threads/{id}/messages", anonymous.get("/api/threads/" + thread + "/messages"));

        check("DELETE", "/api/threads/{id}", http.delete("/api/threads/" + thread));
        check("DELETE", "/api/threads/{id}", http.delete("/api/threads/" + thread));
        check("DELETE", "/api/threads/{id}", anonymous.delete("/api/threads/" + secondThread));

        // Every operation had its success response and its problems checked.
        for (ApiRoute route : ApiActionsModule.ROUTES) {
            String operation = route.method() + " " + route.template() + " ";
            assertThat(COVERED).as("checked responses of %s", operation)
                    .anyMatch(covered -> covered.startsWith(operation + "2"))
                    .anyMatch(covered -> covered.startsWith(operation + "401"))
                    .anyMatch(covered -> covered.startsWith(operation + "404") || route.template().equals("/api/threads"));
        }
        assertThat(COVERED).contains("POST /api/threads/{id}/runs 200 text/event-stream",
                "GET /api/runs/{id}/events 200 text/event-stream", "POST /api/threads/{id}/runs 429 application/problem+json",
                "POST /api/threads/{id}/runs 422 application/problem+json", "DELETE /api/threads/{id} 409 application/problem+json",
                "POST /api/runs/{id}/cancel 409 application/problem+json", "POST /api/threads/{id}/runs 413 application/problem+json",
                "POST /api/threads/{id}/runs 409 application/problem+json");
    }

    /** Asserts that the response's status and content type are described for the operation and the body validates. */
    private static void check(String method, String template, Http.Response response) throws IOException {
        String contentType = response.header("Content-Type");
        JsonNode described = describedResponse(method, template, response.status(), response.body());
        if (response.body().isEmpty()) {
            assertThat(described.has("content")).as("%s %s %s has no body, so its description has no content", method,
                    template, response.status()).isFalse();
            COVERED.add(method + " " + template + " " + response.status());
            return;
        }
        assertThat(contentType).as("Content-Type of %s %s %s", method, template, response.status()).isNotNull();
        String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        String pointer = pointer(method, template, response.status()) + "/content/" + escape(mediaType) + "/schema";
        assertThat(document.at(pointer).isMissingNode())
                .as("%s %s %s is described with content %s (%s)", method, template, response.status(), mediaType,
                        described.path("content").fieldNames().hasNext() ? described.path("content") : "no content")
                .isFalse();
        JsonNode body = mediaType.endsWith("json") ? WsClient.JSON.readTree(response.body()) : TextNode.valueOf(response.body());
        assertValid(pointer, body, method + " " + template + " " + response.status());
        if (template.equals("/api/runs/{id}/events") && response.status() == 200) {
            body.path("data").forEach(event -> assertTypedEvent(event, method + " " + template + " seq "
                    + event.path("seq").asText()));
        }
        COVERED.add(method + " " + template + " " + response.status() + " " + mediaType);
    }

    /** An SSE answer: described as text/event-stream, and each event's data is a described RunEvent. */
    private static void checkStream(String method, String template, EventStreamClient stream, List<Event> events) {
        assertThat(stream.status()).isEqualTo(200);
        describedResponse(method, template, 200, "");
        String pointer = pointer(method, template, 200) + "/content/" + escape("text/event-stream") + "/schema";
        assertThat(document.at(pointer).isMissingNode()).as("%s %s 200 is described as text/event-stream", method, template)
                .isFalse();
        assertValid(pointer, TextNode.valueOf(stream.rawText()), method + " " + template + " stream");
        assertThat(events).isNotEmpty();
        for (Event event : events) {
            streamedEvent(event, method + " " + template);
        }
        COVERED.add(method + " " + template + " 200 text/event-stream");
    }

    private static JsonNode describedResponse(String method, String template, int status, String body) {
        JsonNode operation = operation(method, template);
        assertThat(operation.isObject()).as("%s %s is described", method, template).isTrue();
        JsonNode described = operation.path("responses").path(Integer.toString(status));
        assertThat(described.isObject()).as("%s %s describes status %s (answered %s)", method, template, status, body)
                .isTrue();
        return described;
    }

    private static void assertValid(String pointer, JsonNode instance, String what) {
        Schema schema = SCHEMAS.computeIfAbsent(pointer,
                key -> schemas.getSchema(SchemaLocation.of(DOCUMENT_IRI + "#" + key)));
        List<Error> errors = schema.validate(instance);
        assertThat(errors).as("%s against %s: %s", what, pointer, instance).isEmpty();
    }

    private static List<Error> errors(String pointer, String json) {
        try {
            return schemas.getSchema(SchemaLocation.of(DOCUMENT_IRI + "#" + pointer)).validate(WsClient.JSON.readTree(json));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode operation(String method, String template) {
        return document.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
    }

    private static String pointer(String method, String template, int status) {
        return "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/" + status;
    }

    /** JSON Pointer escaping (RFC 6901) of one reference token. */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    private static void collectRefs(JsonNode node, List<String> refs) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (field.getKey().equals("$ref") && field.getValue().isTextual()) {
                    refs.add(field.getValue().asText());
                } else {
                    collectRefs(field.getValue(), refs);
                }
            }
        } else if (node.isArray()) {
            node.forEach(element -> collectRefs(element, refs));
        }
    }
}
