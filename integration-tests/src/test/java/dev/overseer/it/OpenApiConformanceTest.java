package dev.overseer.it;

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
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /openapi.json} describes the API that is really served: every route with its method, and every
 * response (status, content type, body) the server gives validates against the schema described for it.
 */
class OpenApiConformanceTest {
    private static final String DOCUMENT_IRI = "https://overseer.invalid/openapi.json";
    /** The routes served outside the API router, next to {@link ApiActionsModule#ROUTES}. */
    private static final List<ApiRoute> PUBLIC_ROUTES = List.of(
            new ApiRoute("GET", "/healthz", "health"),
            new ApiRoute("GET", "/readyz", "ready"),
            new ApiRoute("GET", "/metrics", "metrics"),
            new ApiRoute("GET", "/openapi.json", "openapi"),
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
        server = TestServer.start(Map.of("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "2", "OVERSEER_AGENTS_FILE", gatedAgent()));
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

    private static String gatedAgent() {
        try {
            Path agents = Files.createTempDirectory("overseer-conformance-").resolve("agents.json");
            Files.writeString(agents, """
                    {"agents": [{"name": "gatekeeper", "description": "Computes, once a person agrees.",
                                 "system_prompt": "Use the calculator.", "tools": ["calculator"],
                                 "require_approval": ["calculator"]}]}""");
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
            assertValid("/components/schemas/RunEvent", event.json(), method + " " + template + " event " + event.id());
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
