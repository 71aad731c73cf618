package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad request and the problem it gets (SPEC §6): status, code, a fragment of the detail,
 * {@code application/problem+json} with every field; and afterwards nothing invalid was stored.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MalformedRequestTest {
    private static final int MAX_BODY = 1024 * 1024;
    private static final String USER = "malformed-alice";

    private static TestServer server;
    private static Http http;
    private static JsonNode thread;
    private static JsonNode runThread;
    private static String run;
    private static final Map<String, String> PLACEHOLDERS = new HashMap<>();

    /** How the body is sent: as a fixed-length body, or chunked (no Content-Length). */
    enum Framing {
        FIXED,
        CHUNKED
    }

    /**
     * One bad request: {@code auth} is the Authorization header ({@code {token}} for the user's valid token, null
     * for none); paths and headers may name {@code {thread}} (an empty thread) and {@code {run}} (a finished run).
     */
    record Case(String name, String method, String path, String auth, Map<String, String> headers, String body,
            Framing framing, int status, String code, String detail, String allow) {
        @Override
        public String toString() {
            return name;
        }

        Case header(String name, String value) {
            Map<String, String> more = new HashMap<>(headers);
            more.put(name, value);
            return new Case(this.name, method, path, auth, more, body, framing, status, code, detail, allow);
        }

        Case auth(String authorization) {
            return new Case(name, method, path, authorization, headers, body, framing, status, code, detail, allow);
        }

        Case chunked() {
            return new Case(name, method, path, auth, headers, body, Framing.CHUNKED, status, code, detail, allow);
        }

        Case allow(String methods) {
            return new Case(name, method, path, auth, headers, body, framing, status, code, detail, methods);
        }
    }

    private static Case bad(String name, String method, String path, String body, String detail) {
        return new Case(name, method, path, "Bearer {token}", Map.of(), body, Framing.FIXED, 400, "invalid_request",
                detail, null);
    }

    private static Case problem(String name, String method, String path, String body, int status, String code,
            String detail) {
        return new Case(name, method, path, "Bearer {token}", Map.of(), body, Framing.FIXED, status, code, detail, null);
    }

    static Stream<Case> cases() {
        String threads = "/api/threads";
        String oneThread = "/api/threads/{thread}";
        String runs = "/api/threads/{thread}/runs";
        String events = "/api/runs/{run}/events";
        String tooLarge = "{\"title\":\"" + "x".repeat(MAX_BODY) + "\"}";
        return Stream.of(
                // Bodies that are not a JSON object.
                bad("create thread: malformed JSON", "POST", threads, "{\"title\":", "the body is not valid JSON"),
                bad("create thread: JSON array", "POST", threads, "[{\"title\":\"x\"}]", "the body must be a JSON object"),
                bad("create thread: JSON string", "POST", threads, "\"title\"", "the body must be a JSON object"),
                bad("create thread: trailing garbage", "POST", threads, "{\"title\":\"x\"} }", "not valid JSON"),
                bad("patch thread: malformed JSON", "PATCH", oneThread, "{title: 1}", "the body is not valid JSON"),
                bad("patch thread: JSON array", "PATCH", oneThread, "[]", "the body must be a JSON object"),
                bad("start run: malformed JSON", "POST", runs, "{\"content\":\"hi\"", "the body is not valid JSON"),
                bad("start run: JSON array", "POST", runs, "[\"hi\"]", "the body must be a JSON object"),
                bad("start run: JSON number", "POST", runs, "42", "the body must be a JSON object"),
                // POST /api/threads: wrong types and values of each field.
                bad("create thread: title number", "POST", threads, "{\"title\":5}", "'title' must be a string, not a number"),
                bad("create thread: title boolean", "POST", threads, "{\"title\":true}", "'title' must be a string, not a boolean"),
                bad("create thread: title object", "POST", threads, "{\"title\":{}}", "'title' must be a string, not an object"),
                bad("create thread: title array", "POST", threads, "{\"title\":[\"a\"]}", "'title' must be a string, not an array"),
                bad("create thread: title too long", "POST", threads, "{\"title\":\"" + "t".repeat(1001) + "\"}",
                        "'title' is longer than 1000 characters"),
                bad("create thread: metadata string", "POST", threads, "{\"metadata\":\"a=b\"}",
                        "'metadata' must be a JSON object, not a string"),
                bad("create thread: metadata number", "POST", threads, "{\"metadata\":1}", "'metadata' must be a JSON object, not a number"),
                bad("create thread: metadata boolean", "POST", threads, "{\"metadata\":false}",
                        "'metadata' must be a JSON object, not a boolean"),
                bad("create thread: metadata array", "POST", threads, "{\"metadata\":[1]}", "'metadata' must be a JSON object, not an array"),
                bad("create thread: metadata too large", "POST", threads, "{\"metadata\":{\"k\":\"" + "m".repeat(16_400) + "\"}}",
                        "'metadata' is larger than 16384 characters"),
                bad("create thread: unknown field", "POST", threads, "{\"titel\":\"x\"}", "unknown field 'titel'"),
                // PATCH /api/threads/{id}
                bad("patch thread: title number", "PATCH", oneThread, "{\"title\":1}", "'title' must be a string, not a number"),
                bad("patch thread: title boolean", "PATCH", oneThread, "{\"title\":false}", "'title' must be a string, not a boolean"),
                bad("patch thread: title object", "PATCH", oneThread, "{\"title\":{\"a\":1}}", "'title' must be a string, not an object"),
                bad("patch thread: title array", "PATCH", oneThread, "{\"title\":[]}", "'title' must be a string, not an array"),
                bad("patch thread: metadata string", "PATCH", oneThread, "{\"metadata\":\"x\"}", "'metadata' must be a JSON object"),
                bad("patch thread: metadata number", "PATCH", oneThread, "{\"metadata\":2}", "'metadata' must be a JSON object"),
                bad("patch thread: metadata boolean", "PATCH", oneThread, "{\"metadata\":true}", "'metadata' must be a JSON object"),
                bad("patch thread: metadata array", "PATCH", oneThread, "{\"metadata\":[]}", "'metadata' must be a JSON object"),
                bad("patch thread: metadata null", "PATCH", oneThread, "{\"metadata\":null}", "'metadata' must be a JSON object, not null"),
                bad("patch thread: unknown field", "PATCH", oneThread, "{\"title\":\"x\",\"tags\":[]}", "unknown field 'tags'"),
                // POST /api/threads/{id}/runs
                bad("start run: no body", "POST", runs, "", "'content' is required"),
                bad("start run: content missing", "POST", runs, "{\"agent\":\"supervisor\"}", "'content' is required"),
                bad("start run: content null", "POST", runs, "{\"content\":null}", "'content' is required"),
                bad("start run: content number", "POST", runs, "{\"content\":42}", "'content' must be a string, not a number"),
                bad("start run: content boolean", "POST", runs, "{\"content\":true}", "'content' must be a string, not a boolean"),
                bad("start run: content object", "POST", runs, "{\"content\":{\"text\":\"hi\"}}", "'content' must be a string, not an object"),
                bad("start run: content array", "POST", runs, "{\"content\":[\"hi\"]}", "'content' must be a string, not an array"),
                bad("start run: content blank", "POST", runs, "{\"content\":\"  \\n \"}", "'content' must not be blank"),
                bad("start run: content too long", "POST", runs, "{\"content\":\"" + "c".repeat(100_001) + "\"}",
                        "longer than 100000 characters"),
                bad("start run: agent number", "POST", runs, "{\"content\":\"hi\",\"agent\":1}", "'agent' must be a string, not a number"),
                bad("start run: agent boolean", "POST", runs, "{\"content\":\"hi\",\"agent\":true}", "'agent' must be a string, not a boolean"),
                bad("start run: agent object", "POST", runs, "{\"content\":\"hi\",\"agent\":{}}", "'agent' must be a string, not an object"),
                bad("start run: agent array", "POST", runs, "{\"content\":\"hi\",\"agent\":[]}", "'agent' must be a string, not an array"),
                bad("start run: unknown agent", "POST", runs, "{\"content\":\"hi\",\"agent\":\"nobody\"}", "unknown agent 'nobody'"),
                bad("start run: unknown field", "POST", runs, "{\"content\":\"hi\",\"model\":\"x\"}", "unknown field 'model'"),
                bad("start run: wait not a boolean", "POST", runs + "?wait=yes", "{\"content\":\"hi\"}",
                        "query parameter 'wait' must be true or false"),
                bad("start run: wait twice", "POST", runs + "?wait=true&wait=false", "{\"content\":\"hi\"}",
                        "query parameter 'wait' is given more than once"),
                bad("start run: idempotency key too long", "POST", runs, "{\"content\":\"hi\"}", "Idempotency-Key must be 1 to 200")
                        .header("Idempotency-Key", "k".repeat(201)),
                // PostgreSQL's text cannot hold U+0000: refused on every database alike.
                bad("start run: U+0000 in content", "POST", runs, "{\"content\":\"a\\u0000b\"}",
                        "'content' must not contain U+0000"),
                bad("create thread: U+0000 in title", "POST", threads, "{\"title\":\"a\\u0000\"}",
                        "'title' must not contain U+0000"),
                // Query parameters of lists.
                bad("list threads: limit 0", "GET", threads + "?limit=0", null, "query parameter 'limit' must be a whole number from 1 to 100"),
                bad("list threads: limit 101", "GET", threads + "?limit=101", null, "query parameter 'limit' must be a whole number from 1 to 100"),
                bad("list threads: limit negative", "GET", threads + "?limit=-5", null, "'limit' must be a whole number"),
                bad("list threads: limit not a number", "GET", threads + "?limit=ten", null, "'limit' must be a whole number"),
                bad("list threads: limit fraction", "GET", threads + "?limit=2.5", null, "'limit' must be a whole number"),
                bad("list threads: limit twice", "GET", threads + "?limit=1&limit=2", null, "'limit' is given more than once"),
                problem("list threads: garbage cursor", "GET", threads + "?cursor=%25%25%25", null, 400, "invalid_cursor", "cursor"),
                problem("list threads: cursor without a key", "GET", threads + "?cursor=YWJj", null, 400, "invalid_cursor", "cursor"),
                bad("list messages: limit 0", "GET", oneThread + "/messages?limit=0", null, "'limit' must be a whole number from 1 to 100"),
                bad("list messages: limit 101", "GET", oneThread + "/messages?limit=101", null, "'limit' must be a whole number from 1 to 100"),
                problem("list messages: garbage cursor", "GET", oneThread + "/messages?cursor=not-a-cursor", null, 400,
                        "invalid_cursor", "cursor"),
                bad("list events: after negative", "GET", events + "?after=-1", null,
                        "query parameter 'after' must be a whole number from 0 to 2147483647"),
                bad("list events: after not a number", "GET", events + "?after=first", null, "'after' must be a whole number"),
                bad("list events: after too large", "GET", events + "?after=99999999999", null, "'after' must be a whole number"),
                bad("list events: limit 0", "GET", events + "?limit=0", null, "'limit' must be a whole number from 1 to 1000"),
                bad("list events: limit 1001", "GET", events + "?limit=1001", null, "'limit' must be a whole number from 1 to 1000"),
                bad("list events: Last-Event-ID not a seq", "GET", events, null, "Last-Event-ID must be the seq of an event")
                        .header("Last-Event-ID", "abc"),
                bad("stream events: Last-Event-ID not a seq", "GET", events, null, "Last-Event-ID must be the seq of an event")
                        .header("Last-Event-ID", "three").header("Accept", "text/event-stream"),
                // Bodies over 1 MiB.
                problem("create thread: body over 1 MiB", "POST", threads, tooLarge, 413, "body_too_large",
                        "larger than 1048576 bytes"),
                problem("create thread: chunked body over 1 MiB", "POST", threads, tooLarge, 413, "body_too_large",
                        "larger than 1048576 bytes").chunked(),
                problem("start run: body over 1 MiB", "POST", runs, "{\"content\":\"" + "x".repeat(MAX_BODY) + "\"}", 413,
                        "body_too_large", "larger than 1048576 bytes"),
                problem("patch thread: chunked body over 1 MiB", "PATCH", oneThread, tooLarge, 413, "body_too_large",
                        "larger than 1048576 bytes").chunked(),
                // Unknown paths and resources.
                problem("unknown API path", "GET", "/api/nothing-here", null, 404, "not_found", "no resource at /api/nothing-here"),
                problem("unknown path under a thread", "GET", oneThread + "/files", null, 404, "not_found", "no resource at"),
                problem("unknown top-level path", "GET", "/index.html", null, 404, "not_found", "no resource at /index.html")
                        .auth(null),
                problem("API root", "GET", "/api", null, 404, "not_found", "no resource at /api"),
                problem("thread id of the wrong kind", "GET", "/api/threads/{run}", null, 404, "not_found", "thread not found"),
                problem("run id that cannot exist", "GET", "/api/runs/run_%21%21", null, 404, "not_found", "run not found"),
                problem("start run on a missing thread", "POST", "/api/threads/thr_00000000000000000000000000/runs",
                        "{\"content\":\"hi\"}", 404, "not_found", "thread not found"),
                // Wrong methods: 405 with the methods that do exist.
                problem("DELETE the thread list", "DELETE", threads, null, 405, "method_not_allowed", "DELETE is not allowed")
                        .allow("POST, GET"),
                problem("PUT a thread", "PUT", oneThread, "{}", 405, "method_not_allowed", "PUT is not allowed")
                        .allow("GET, PATCH, DELETE"),
                problem("GET the runs of a thread", "GET", runs, null, 405, "method_not_allowed", "GET is not allowed")
                        .allow("POST"),
                problem("POST messages", "POST", oneThread + "/messages", "{}", 405, "method_not_allowed", "POST is not allowed")
                        .allow("GET"),
                problem("POST a run", "POST", "/api/runs/{run}", "{}", 405, "method_not_allowed", "POST is not allowed")
                        .allow("GET"),
                problem("GET cancel", "GET", "/api/runs/{run}/cancel", null, 405, "method_not_allowed", "GET is not allowed")
                        .allow("POST"),
                problem("DELETE events", "DELETE", events, null, 405, "method_not_allowed", "DELETE is not allowed")
                        .allow("GET"),
                problem("POST /healthz", "POST", "/healthz", "{}", 405, "method_not_allowed", "POST is not allowed")
                        .allow("GET").auth(null),
                problem("DELETE /readyz", "DELETE", "/readyz", null, 405, "method_not_allowed", "DELETE is not allowed")
                        .allow("GET").auth(null),
                problem("POST /metrics", "POST", "/metrics", "x", 405, "method_not_allowed", "POST is not allowed")
                        .allow("GET").auth(null),
                problem("PUT /openapi.json", "PUT", "/openapi.json", "{}", 405, "method_not_allowed", "PUT is not allowed")
                        .allow("GET").auth(null),
                // Authorization that is missing or wrong: 401 with WWW-Authenticate.
                problem("no Authorization", "GET", threads, null, 401, "unauthorized", "missing bearer token").auth(null),
                problem("no Authorization on a start", "POST", runs, "{\"content\":\"hi\"}", 401, "unauthorized",
                        "missing bearer token").auth(null),
                problem("Basic scheme", "GET", threads, null, 401, "unauthorized", "must be 'Bearer <token>'")
                        .auth("Basic bWFsZm9ybWVkLWFsaWNlOnNlY3JldA=="),
                problem("Bearer without a token", "GET", threads, null, 401, "unauthorized", "must be 'Bearer <token>'")
                        .auth("Bearer"),
                problem("token without a scheme", "GET", threads, null, 401, "unauthorized", "must be 'Bearer <token>'")
                        .auth("{rawtoken}"),
                problem("Bearer with a non-JWT", "GET", threads, null, 401, "unauthorized", "invalid token")
                        .auth("Bearer not.a.jwt"),
                problem("token signed with another secret", "PATCH", oneThread, "{\"title\":\"stolen\"}", 401, "unauthorized",
                        "invalid token").auth("Bearer {foreign}"),
                problem("token without exp", "GET", threads, null, 401, "unauthorized", "invalid token")
                        .auth("Bearer {noexp}"),
                problem("unsigned token (alg none)", "DELETE", oneThread, null, 401, "unauthorized", "invalid token")
                        .auth("Bearer {unsigned}"),
                problem("expired token", "POST", runs, "{\"content\":\"hi\"}", 401, "unauthorized", "token expired")
                        .auth("Bearer {expired}"));
    }

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        String token = server.token(USER);
        http = new Http(server, token);
        thread = http.post("/api/threads", "{\"title\":\"kept\",\"metadata\":{\"k\":\"v\"}}").json();
        runThread = http.post("/api/threads", "{\"title\":\"with a run\"}").json();
        Http.Response finished = http.post("/api/threads/" + runThread.path("id").asText() + "/runs?wait=true",
                "{\"content\":\"What is 6*7?\"}");
        assertThat(finished.status()).isEqualTo(200);
        run = finished.json().path("id").asText();
        PLACEHOLDERS.put("{thread}", thread.path("id").asText());
        PLACEHOLDERS.put("{run}", run);
        PLACEHOLDERS.put("{token}", token);
        PLACEHOLDERS.put("{rawtoken}", token);
        PLACEHOLDERS.put("{foreign}", Jwts.signed("another-secret-that-is-also-long-enough-0123456789", USER));
        PLACEHOLDERS.put("{noexp}", Jwts.withoutExpiry(TestServer.SECRET, USER));
        PLACEHOLDERS.put("{unsigned}", Jwts.unsigned(USER));
        PLACEHOLDERS.put("{expired}", server.token(USER, Duration.ofSeconds(-120)));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badRequest_isAProblemWithStatusCodeAndPreciseDetail(Case bad) {
        Http.Response response = send(bad);

        JsonNode problem = Problems.assertProblem(response, bad.status(), bad.code());
        assertThat(problem.size()).as("fields of %s", problem).isEqualTo(5);
        assertThat(problem.path("type").asText()).isEqualTo("about:blank");
        assertThat(problem.path("detail").asText()).as("detail").contains(bad.detail());
        if (bad.allow() != null) {
            assertThat(response.header("Allow")).as("Allow").isNotNull();
            assertThat(Arrays.asList(response.header("Allow").split(",\\s*")))
                    .containsExactlyInAnyOrderElementsOf(Arrays.asList(bad.allow().split(",\\s*")));
        }
        if (bad.status() == 401) {
            assertThat(response.header("WWW-Authenticate")).as("WWW-Authenticate").isEqualTo("Bearer");
        }
        if (bad.status() == 405) {
            assertThat(response.header("WWW-Authenticate")).isNull();
        }
    }

    @Order(2)
    @Test
    void afterEveryBadRequest_nothingInvalidWasStored() {
        List<String> threadIds = Stream.of(thread, runThread).map(node -> node.path("id").asText()).toList();
        JsonNode listed = http.get("/api/threads?limit=100").json().path("data");
        assertThat(listed).extracting(node -> node.path("id").asText()).containsExactlyInAnyOrderElementsOf(threadIds);

        JsonNode kept = http.get("/api/threads/" + thread.path("id").asText()).json();
        assertThat(kept.path("title").asText()).isEqualTo("kept");
        assertThat(kept.path("metadata").toString()).isEqualTo("{\"k\":\"v\"}");
        assertThat(http.get("/api/threads/" + thread.path("id").asText() + "/messages").json().path("data")).isEmpty();
        assertThat(http.get("/api/threads/" + runThread.path("id").asText() + "/messages").json().path("data")).hasSize(2);
        assertThat(http.get("/api/runs/" + run).json().path("status").asText()).isEqualTo("completed");
    }

    private static Http.Response send(Case bad) {
        Http client = new Http(server, null);
        HttpRequest.Builder request = client.builder(resolve(bad.path()));
        if (bad.auth() != null) {
            request.header("Authorization", resolve(bad.auth()));
        }
        bad.headers().forEach((name, value) -> request.header(name, resolve(value)));
        HttpRequest.BodyPublisher body;
        if (bad.body() == null) {
            body = HttpRequest.BodyPublishers.noBody();
        } else {
            byte[] bytes = bad.body().getBytes(StandardCharsets.UTF_8);
            request.header("Content-Type", "application/json");
            body = bad.framing() == Framing.CHUNKED
                    ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))
                    : HttpRequest.BodyPublishers.ofByteArray(bytes);
        }
        return client.send(request.method(bad.method(), body));
    }

    private static String resolve(String text) {
        String resolved = text;
        for (Map.Entry<String, String> placeholder : PLACEHOLDERS.entrySet()) {
            resolved = resolved.replace(placeholder.getKey(), placeholder.getValue());
        }
        return resolved;
    }
}
