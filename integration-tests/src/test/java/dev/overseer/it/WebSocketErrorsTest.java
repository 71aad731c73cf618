package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad frames, foreign ids, busy threads and refused upgrades: errors are frames, and the socket lives on (SPEC §5). */
class WebSocketErrorsTest {
    private static final AtomicInteger USERS = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    static Stream<Arguments> invalidFrames() {
        return Stream.of(
                arguments("malformed JSON", "{\"type\":\"ping\"", "invalid_json", null),
                arguments("not JSON at all", "ping", "invalid_json", null),
                arguments("a JSON array", "[{\"type\":\"ping\"}]", "invalid_json", null),
                arguments("a JSON string", "\"ping\"", "invalid_json", null),
                arguments("an unknown type", "{\"type\":\"dance\",\"request_id\":\"req-dance\"}", "unknown_type",
                        "req-dance"),
                arguments("an unknown type without request_id", "{\"type\":\"dance\"}", "unknown_type", null),
                arguments("start_agent without content",
                        "{\"type\":\"start_agent\",\"request_id\":\"req-missing\"}", "invalid_message", "req-missing"),
                arguments("start_agent with null content",
                        "{\"type\":\"start_agent\",\"content\":null,\"request_id\":\"req-null\"}", "invalid_message",
                        "req-null"),
                arguments("start_agent with blank content",
                        "{\"type\":\"start_agent\",\"content\":\" \\t \",\"request_id\":\"req-blank\"}",
                        "invalid_message", "req-blank"),
                arguments("start_agent with empty content",
                        "{\"type\":\"start_agent\",\"content\":\"\",\"request_id\":\"req-empty\"}", "invalid_message",
                        "req-empty"),
                arguments("start_agent with a number as content",
                        "{\"type\":\"start_agent\",\"content\":42,\"request_id\":\"req-number\"}", "invalid_message",
                        "req-number"),
                arguments("start_agent with an object as content",
                        "{\"type\":\"start_agent\",\"content\":{\"text\":\"hi\"},\"request_id\":\"req-object\"}",
                        "invalid_message", "req-object"),
                arguments("start_agent without content or request_id", "{\"type\":\"start_agent\"}", "invalid_message",
                        null),
                arguments("cancel_run without run_id", "{\"type\":\"cancel_run\",\"request_id\":\"req-cancel\"}",
                        "invalid_message", "req-cancel"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("invalidFrames")
    void invalidFrame_isAnErrorFrame_andTheConnectionKeepsWorking(String description, String frame, String code,
            String requestId) {
        try (WsClient client = connect()) {
            client.send(frame);
            JsonNode error = client.next();
            assertError(error, code, requestId);
            assertThat(error.path("message").asText()).as("message of %s", error).isNotBlank();
            if (requestId == null) {
                assertThat(error.path("request_id").isNull() || error.path("request_id").isMissingNode())
                        .as("request_id of %s", error).isTrue();
            }
            assertConnectionStillWorks(client);
        }
    }

    @Test
    void startAgent_onAnotherUsersThread_isNotFound_likeAThreadThatDoesNotExist() {
        String ownerUser = newUser();
        try (WsClient owner = connect(ownerUser); WsClient intruder = connect()) {
            owner.send(startAgent("hello from the owner", null, "owner-1"));
            JsonNode accepted = owner.next();
            String thread = accepted.path("thread_id").asText();
            owner.runEvents(accepted.path("run_id").asText());

            intruder.send(startAgent("What is 6*7?", thread, "foreign-thread"));
            JsonNode foreign = intruder.next();
            assertError(foreign, "not_found", "foreign-thread");
            intruder.send(startAgent("What is 6*7?", "thr_00000000000000000000000000", "missing-thread"));
            JsonNode missing = intruder.next();
            assertError(missing, "not_found", "missing-thread");
            assertThat(foreign.path("message")).isEqualTo(missing.path("message"));
            assertConnectionStillWorks(intruder);

            Http ownerHttp = new Http(server, server.token(ownerUser));
            assertThat(ownerHttp.get("/api/threads/" + thread + "/messages").json().path("data"))
                    .extracting(message -> message.path("content").asText())
                    .noneMatch(content -> content.contains("6*7"));
        }
    }

    @Test
    void cancelRun_ofAnotherUsersRun_isNotFound_andTheRunGoesOn() {
        try (WsClient owner = connect(); WsClient intruder = connect()) {
            owner.send(startAgent("wait 1 seconds", null, "owner-wait"));
            String run = owner.next().path("run_id").asText();

            intruder.send(cancelRun(run, "cancel-active"));
            JsonNode foreign = intruder.next();
            assertError(foreign, "not_found", "cancel-active");
            intruder.send(cancelRun("run_00000000000000000000000000", "cancel-missing"));
            JsonNode missing = intruder.next();
            assertError(missing, "not_found", "cancel-missing");
            assertThat(foreign.path("message")).isEqualTo(missing.path("message"));

            List<JsonNode> events = owner.runEvents(run);
            assertThat(events.get(events.size() - 1).path("type").asText()).isEqualTo("run_completed");

            // Finished, it is still not found for the intruder (never run_not_active, which would betray it).
            intruder.send(cancelRun(run, "cancel-finished"));
            assertError(intruder.next(), "not_found", "cancel-finished");
            assertConnectionStillWorks(intruder);
        }
    }

    @Test
    void cancelRun_ofOwnFinishedRun_isRunNotActive() {
        try (WsClient client = connect()) {
            client.send(startAgent("What is 2*21?", null, "finished"));
            String run = client.next().path("run_id").asText();
            client.runEvents(run);
            client.send(cancelRun(run, "cancel-own-finished"));
            assertError(client.next(), "run_not_active", "cancel-own-finished");
            assertConnectionStillWorks(client);
        }
    }

    @Test
    void ping_whileARunStreams_isAnsweredAtOnce_andSoIsANewStart() {
        try (WsClient client = connect()) {
            client.send(startAgent("wait 3 seconds", null, "slow"));
            String slowRun = client.next().path("run_id").asText();
            List<JsonNode> seen = new ArrayList<>(client.until(frame -> frame.path("type").asText().equals("tool_executing")
                    && frame.path("run_id").asText().equals(slowRun)));

            long sent = System.nanoTime();
            client.send("{\"type\":\"ping\"}");
            List<JsonNode> untilPong = client.until(frame -> frame.path("type").asText().equals("pong"));
            Duration roundTrip = Duration.ofNanos(System.nanoTime() - sent);
            assertThat(roundTrip).isLessThan(Duration.ofSeconds(1));
            assertThat(untilPong).noneMatch(WsClient::isTerminal);
            assertThat(untilPong.get(untilPong.size() - 1).path("server_time").asText()).isNotBlank();
            seen.addAll(untilPong);

            // A new run on the same connection starts and finishes while the slow one still waits.
            client.send(startAgent("What is 6*7?", null, "quick"));
            List<JsonNode> untilQuickDone = client.until(WsClient::isTerminal);
            seen.addAll(untilQuickDone);
            JsonNode firstTerminal = untilQuickDone.get(untilQuickDone.size() - 1);
            assertThat(firstTerminal.path("run_id").asText()).isNotEqualTo(slowRun);
            assertThat(firstTerminal.path("type").asText()).isEqualTo("run_completed");
            assertThat(firstTerminal.path("payload").path("output").asText()).contains("42");

            List<JsonNode> rest = client.runEvents(slowRun);
            assertThat(rest.get(rest.size() - 1).path("type").asText()).isEqualTo("run_completed");
            List<Integer> slowSeqs = Stream.concat(seen.stream(), rest.stream())
                    .filter(frame -> frame.has("seq") && frame.path("run_id").asText().equals(slowRun))
                    .map(frame -> frame.path("seq").asInt())
                    .toList();
            assertThat(slowSeqs).isEqualTo(IntStream.rangeClosed(1, slowSeqs.size()).boxed().toList());
        }
    }

    @Test
    void startAgent_onAThreadWithAnActiveRun_isThreadBusy_andStartsNothing() {
        String user = newUser();
        try (WsClient client = connect(user)) {
            client.send(startAgent("wait 2 seconds", null, "busy-first"));
            JsonNode accepted = client.next();
            String run = accepted.path("run_id").asText();
            String thread = accepted.path("thread_id").asText();

            client.send(startAgent("What is 9*9?", thread, "busy-second"));
            List<JsonNode> skipped = new ArrayList<>();
            JsonNode error = client.nextOfType("error", skipped);
            assertError(error, "thread_busy", "busy-second");
            assertThat(skipped).allMatch(frame -> frame.path("run_id").asText().equals(run))
                    .noneMatch(frame -> frame.path("type").asText().equals("run_accepted"));

            Http http = new Http(server, server.token(user));
            Problems.assertProblem(http.post("/api/threads/" + thread + "/runs", "{\"content\":\"What is 8*8?\"}"), 409,
                    "thread_busy");

            client.send("{\"type\":\"ping\"}");
            client.nextOfType("pong");
            client.send(cancelRun(run, "cancel-busy"));
            List<JsonNode> events = client.runEvents(run);
            assertThat(events.get(events.size() - 1).path("type").asText()).isEqualTo("run_cancelled");

            // The thread is free again, and the refused starts left no trace on it.
            client.send(startAgent("What is 1+1?", thread, "after-busy"));
            JsonNode second = client.nextOfType("run_accepted");
            assertThat(second.path("thread_id").asText()).isEqualTo(thread);
            List<JsonNode> secondEvents = client.runEvents(second.path("run_id").asText());
            assertThat(secondEvents.get(secondEvents.size() - 1).path("type").asText()).isEqualTo("run_completed");
            assertThat(http.get("/api/threads/" + thread + "/messages").json().path("data"))
                    .extracting(message -> message.path("content").asText())
                    .contains("wait 2 seconds", "What is 1+1?")
                    .noneMatch(content -> content.contains("9*9") || content.contains("8*8"));
        }
    }

    static Stream<Arguments> refusedUpgrades() {
        String user = "ws-refused";
        return Stream.of(
                arguments("no token", (UnaryOperator<WebSocket.Builder>) builder -> builder),
                arguments("a malformed token",
                        (UnaryOperator<WebSocket.Builder>) builder -> builder.header("Authorization", "Bearer not-a-jwt")),
                arguments("an empty bearer",
                        (UnaryOperator<WebSocket.Builder>) builder -> builder.header("Authorization", "Bearer ")),
                arguments("another scheme", (UnaryOperator<WebSocket.Builder>) builder -> builder.header("Authorization",
                        "Basic " + Base64.getEncoder().encodeToString("alice:secret".getBytes(StandardCharsets.UTF_8)))),
                arguments("an expired token", (UnaryOperator<WebSocket.Builder>) builder -> builder.header(
                        "Authorization", "Bearer " + server.token(user, Duration.ofSeconds(-120)))),
                arguments("a token signed with another secret", (UnaryOperator<WebSocket.Builder>) builder ->
                        builder.header("Authorization", "Bearer "
                                + Jwts.signed("another-secret-that-is-also-long-enough-0123456789", user))),
                arguments("a token without exp", (UnaryOperator<WebSocket.Builder>) builder -> builder.header(
                        "Authorization", "Bearer " + Jwts.withoutExpiry(TestServer.SECRET, user))),
                arguments("an unsigned alg=none token", (UnaryOperator<WebSocket.Builder>) builder -> builder.header(
                        "Authorization", "Bearer " + Jwts.unsigned(user))),
                arguments("a bad bearer subprotocol",
                        (UnaryOperator<WebSocket.Builder>) builder -> builder.subprotocols("overseer.v1", "bearer.nope")),
                arguments("an expired bearer subprotocol", (UnaryOperator<WebSocket.Builder>) builder -> builder
                        .subprotocols("overseer.v1", "bearer." + server.token(user, Duration.ofSeconds(-120)))),
                arguments("only the overseer.v1 subprotocol",
                        (UnaryOperator<WebSocket.Builder>) builder -> builder.subprotocols("overseer.v1")));
    }

    @ParameterizedTest(name = "upgrade with {0} -> 401")
    @MethodSource("refusedUpgrades")
    void upgrade_withoutAValidToken_isRefusedWith401(String description, UnaryOperator<WebSocket.Builder> credentials) {
        WebSocket.Builder builder = credentials.apply(HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)));
        Throwable thrown = catchThrowable(() -> builder.buildAsync(server.ws(), new WebSocket.Listener() {
        }).join().abort());
        assertThat(thrown).as("the upgrade with %s", description).isInstanceOf(CompletionException.class);
        assertThat(thrown.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) thrown.getCause()).getResponse().statusCode()).isEqualTo(401);
    }

    @Test
    void upgrade_withAHandMadeTokenSignedWithTheServersSecret_isAccepted() {
        // The control for the forged tokens above: the same hand-made token, correctly signed, gets in.
        String token = Jwts.signed(TestServer.SECRET, "ws-hand-made");
        try (WsClient viaHeader = WsClient.connect(server, token);
                WsClient viaSubprotocol = WsClient.connectWithSubprotocol(server, token)) {
            assertThat(viaHeader.next().path("user_id").asText()).isEqualTo("ws-hand-made");
            assertThat(viaSubprotocol.next().path("user_id").asText()).isEqualTo("ws-hand-made");
        }
    }

    /** A user of its own for each connection, so no test meets another's runs or limits. */
    private static String newUser() {
        return "ws-errors-" + USERS.incrementAndGet();
    }

    private static WsClient connect() {
        return connect(newUser());
    }

    private static WsClient connect(String user) {
        return WsClient.established(server, user);
    }

    /** A ping gets its pong, and a new run starts and completes, on the same socket. */
    private static void assertConnectionStillWorks(WsClient client) {
        client.send("{\"type\":\"ping\"}");
        JsonNode pong = client.nextOfType("pong");
        assertThat(pong.path("server_time").asText()).isNotBlank();
        String requestId = "still-works-" + UUID.randomUUID();
        client.send(startAgent("What is 17+25?", null, requestId));
        JsonNode accepted = client.nextOfType("run_accepted");
        assertThat(accepted.path("request_id").asText()).isEqualTo(requestId);
        List<JsonNode> events = client.runEvents(accepted.path("run_id").asText());
        JsonNode terminal = events.get(events.size() - 1);
        assertThat(terminal.path("type").asText()).isEqualTo("run_completed");
        assertThat(terminal.path("payload").path("output").asText()).contains("42");
    }

    private static void assertError(JsonNode frame, String code, String requestId) {
        assertThat(frame.path("type").asText()).as("frame %s", frame).isEqualTo("error");
        assertThat(frame.path("code").asText()).as("code of %s", frame).isEqualTo(code);
        if (requestId != null) {
            assertThat(frame.path("request_id").asText()).as("request_id of %s", frame).isEqualTo(requestId);
        }
    }

    private static String startAgent(String content, String threadId, String requestId) {
        ObjectNode frame = WsClient.JSON.createObjectNode().put("type", "start_agent").put("content", content)
                .put("request_id", requestId);
        if (threadId != null) {
            frame.put("thread_id", threadId);
        }
        return frame.toString();
    }

    private static String cancelRun(String runId, String requestId) {
        return WsClient.JSON.createObjectNode().put("type", "cancel_run").put("run_id", runId)
                .put("request_id", requestId).toString();
    }
}
