package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many users at once: each sees exactly their own runs, threads and results, never anyone else's (SPEC §3). */
class IsolationTest {
    private static final int USERS = 50;
    private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(30);

    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** What one run of one user must answer. */
    private record Expected(String content, String outputFragment) {
    }

    /** Everything one user's connection saw, and the ids the server gave that user. */
    private record Session(String user, Map<String, Expected> expectedByRun, Set<String> runIds, Set<String> threadIds,
            Map<String, String> threadByRun, List<JsonNode> frames) {
    }

    @Test
    void fiftyUsers_concurrentRuns_eachGetsOnlyTheirOwnFramesAndCorrectResults() throws Exception {
        CyclicBarrier allConnected = new CyclicBarrier(USERS);
        CyclicBarrier allFinished = new CyclicBarrier(USERS);
        List<Session> sessions = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(USERS)) {
            List<Future<Session>> futures = IntStream.range(0, USERS)
                    .mapToObj(i -> pool.submit(() -> runUser(i, allConnected, allFinished)))
                    .toList();
            List<Throwable> failures = new ArrayList<>();
            for (Future<Session> future : futures) {
                try {
                    sessions.add(future.get(90, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    failures.add(e.getCause());
                } catch (TimeoutException e) {
                    failures.add(e);
                }
            }
            // A broken barrier only echoes another user's failure; report the original one.
            Throwable first = failures.stream().filter(f -> !(f instanceof BrokenBarrierException)).findFirst()
                    .orElse(failures.isEmpty() ? null : failures.get(0));
            if (first != null) {
                throw new AssertionError(failures.size() + " of " + USERS + " users failed; first: " + first, first);
            }
        }

        Map<String, String> ownerOfRun = new HashMap<>();
        Map<String, String> ownerOfThread = new HashMap<>();
        for (Session session : sessions) {
            assertThat(session.runIds()).hasSize(4);
            assertThat(session.threadIds()).hasSize(3);
            session.runIds().forEach(run -> assertThat(ownerOfRun.put(run, session.user())).as("run %s", run).isNull());
            session.threadIds().forEach(thread -> assertThat(ownerOfThread.put(thread, session.user()))
                    .as("thread %s", thread).isNull());
        }
        for (Session session : sessions) {
            assertOnlyOwnFrames(session);
            assertEveryRunCompletedCorrectly(session);
        }
    }

    private static Session runUser(int index, CyclicBarrier allConnected, CyclicBarrier allFinished) throws Exception {
        String user = String.format("iso-user-%02d", index);
        Map<String, Expected> expectedByRequest = new LinkedHashMap<>();
        expectedByRequest.put(user + "-r0", calculation((11 + index) + "*" + 3, (11 + index) * 3));
        expectedByRequest.put(user + "-r1", new Expected("hello " + user, "hello " + user));
        expectedByRequest.put(user + "-r2", calculation((100 + index) + "+" + (7 * index + 1), 100 + index + 7 * index + 1));

        Map<String, Expected> expectedByRun = new LinkedHashMap<>();
        Set<String> runIds = new HashSet<>();
        Set<String> threadIds = new HashSet<>();
        Map<String, String> threadByRun = new HashMap<>();
        List<JsonNode> frames = new ArrayList<>();
        try (WsClient client = WsClient.connect(server, server.token(user))) {
            JsonNode hello = record(frames, client.next(FRAME_TIMEOUT));
            assertThat(hello.path("type").asText()).isEqualTo("connection_established");
            assertThat(hello.path("user_id").asText()).isEqualTo(user);
            allConnected.await(60, TimeUnit.SECONDS);

            // Three runs at once on one connection, each on a new thread.
            expectedByRequest.forEach((requestId, expected) -> client.send(startAgent(expected.content(), null, requestId)));
            int terminals = 0;
            while (terminals < expectedByRequest.size()) {
                JsonNode frame = record(frames, client.next(FRAME_TIMEOUT));
                String type = frame.path("type").asText();
                if (type.equals("run_accepted")) {
                    String run = frame.path("run_id").asText();
                    Expected expected = expectedByRequest.get(frame.path("request_id").asText());
                    assertThat(expected).as("run_accepted for an unknown request: %s", frame).isNotNull();
                    expectedByRun.put(run, expected);
                    runIds.add(run);
                    threadIds.add(frame.path("thread_id").asText());
                    threadByRun.put(run, frame.path("thread_id").asText());
                } else if (WsClient.isTerminal(frame)) {
                    terminals++;
                }
            }

            // A fourth run continues the first run's thread.
            String firstRun = expectedByRun.keySet().iterator().next();
            String firstThread = threadByRun.get(firstRun);
            Expected followUp = calculation((20 + index) + "-" + 4, 20 + index - 4);
            client.send(startAgent(followUp.content(), firstThread, user + "-r3"));
            JsonNode accepted = record(frames, client.next(FRAME_TIMEOUT));
            assertThat(accepted.path("type").asText()).as("frame %s", accepted).isEqualTo("run_accepted");
            assertThat(accepted.path("thread_id").asText()).isEqualTo(firstThread);
            String lastRun = accepted.path("run_id").asText();
            expectedByRun.put(lastRun, followUp);
            runIds.add(lastRun);
            threadByRun.put(lastRun, firstThread);
            while (true) {
                JsonNode frame = record(frames, client.next(FRAME_TIMEOUT));
                if (WsClient.isTerminal(frame) && frame.path("run_id").asText().equals(lastRun)) {
                    break;
                }
            }

            // Every user is done; a ping round trip flushes whatever else the server had queued for this socket.
            allFinished.await(60, TimeUnit.SECONDS);
            client.send("{\"type\":\"ping\"}");
            while (!record(frames, client.next(FRAME_TIMEOUT)).path("type").asText().equals("pong")) {
                // keep reading; every frame is recorded and checked afterwards
            }
            frames.addAll(client.drain());
        }
        return new Session(user, expectedByRun, runIds, threadIds, threadByRun, frames);
    }

    private static void assertOnlyOwnFrames(Session session) {
        for (JsonNode frame : session.frames()) {
            if (frame.has("run_id")) {
                assertThat(session.runIds()).as("%s received %s", session.user(), frame)
                        .contains(frame.path("run_id").asText());
            }
            if (frame.has("thread_id")) {
                assertThat(session.threadIds()).as("%s received %s", session.user(), frame)
                        .contains(frame.path("thread_id").asText());
            }
            if (frame.has("user_id")) {
                assertThat(frame.path("user_id").asText()).as("frame %s", frame).isEqualTo(session.user());
            }
            assertThat(frame.path("type").asText()).as("%s received %s", session.user(), frame).isNotEqualTo("error");
        }
    }

    private static void assertEveryRunCompletedCorrectly(Session session) {
        for (Map.Entry<String, Expected> entry : session.expectedByRun().entrySet()) {
            String run = entry.getKey();
            List<JsonNode> events = session.frames().stream()
                    .filter(frame -> frame.has("seq") && frame.path("run_id").asText().equals(run))
                    .toList();
            assertThat(events).as("events of %s", run).isNotEmpty();
            assertThat(events).extracting(event -> event.path("seq").asInt())
                    .as("seq of %s", run)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
            assertThat(events).extracting(event -> event.path("thread_id").asText())
                    .as("thread of every event of %s", run)
                    .containsOnly(session.threadByRun().get(run));
            assertThat(events.stream().filter(WsClient::isTerminal)).as("terminal events of %s", run).hasSize(1);
            JsonNode terminal = events.get(events.size() - 1);
            assertThat(terminal.path("type").asText()).as("last event of %s", run).isEqualTo("run_completed");
            assertThat(terminal.path("payload").path("output").asText()).as("output of %s (%s)", run,
                    entry.getValue().content()).contains(entry.getValue().outputFragment());
        }
    }

    @Test
    void http_anotherUsersThreadRunEventsAndMessages_areNotFound_exactlyLikeMissingOnes() {
        Http owner = new Http(server, server.token("iso-http-owner"));
        Http intruder = new Http(server, server.token("iso-http-intruder"));
        String thread = owner.post("/api/threads", "{\"title\":\"private\"}").json().path("id").asText();
        Http.Response finished = owner.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}");
        assertThat(finished.status()).isEqualTo(200);
        String run = finished.json().path("id").asText();
        String missingThread = "thr_00000000000000000000000000";
        String missingRun = "run_00000000000000000000000000";

        Map<String, String> pathsOfOwner = new LinkedHashMap<>();
        pathsOfOwner.put("/api/threads/" + thread, "/api/threads/" + missingThread);
        pathsOfOwner.put("/api/threads/" + thread + "/messages", "/api/threads/" + missingThread + "/messages");
        pathsOfOwner.put("/api/runs/" + run, "/api/runs/" + missingRun);
        pathsOfOwner.put("/api/runs/" + run + "/events", "/api/runs/" + missingRun + "/events");
        pathsOfOwner.forEach((path, missingPath) -> {
            assertThat(owner.get(path).status()).as("owner GET %s", path).isEqualTo(200);
            JsonNode foreign = Problems.assertProblem(intruder.get(path), 404, "not_found");
            JsonNode missing = Problems.assertProblem(intruder.get(missingPath), 404, "not_found");
            assertThat(foreign.path("detail")).as("GET %s", path).isEqualTo(missing.path("detail"));
        });

        Problems.assertProblem(intruder.post("/api/threads/" + thread + "/runs", "{\"content\":\"hello\"}"), 404,
                "not_found");
        Problems.assertProblem(intruder.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"hello\"}"),
                404, "not_found");
        Problems.assertProblem(intruder.post("/api/runs/" + run + "/cancel", ""), 404, "not_found");
        assertThat(intruder.get("/api/threads").json().path("data")).isEmpty();

        // Nothing the intruder did reached the owner's thread.
        assertThat(owner.get("/api/threads/" + thread + "/messages").json().path("data"))
                .extracting(message -> message.path("content").asText())
                .containsExactly("What is 6*7?", finished.json().path("output").asText());
        assertThat(owner.get("/api/runs/" + run).json().path("status").asText()).isEqualTo("completed");
    }

    @Test
    void webSocket_anotherUsersThreadAndRun_areNotFound_andItsEventsNeverArrive() {
        try (WsClient owner = WsClient.connect(server, server.token("iso-ws-owner"));
                WsClient intruder = WsClient.connect(server, server.token("iso-ws-intruder"))) {
            owner.next();
            intruder.next();
            owner.send(startAgent("What is 6*7?", null, "owner-1"));
            JsonNode accepted = owner.next();
            String run = accepted.path("run_id").asText();
            String thread = accepted.path("thread_id").asText();
            owner.runEvents(run);

            intruder.send("{\"type\":\"subscribe\",\"thread_id\":\"" + thread + "\",\"request_id\":\"sub-1\"}");
            assertError(intruder.next(), "not_found", "sub-1");
            intruder.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":0,\"request_id\":\"res-1\"}");
            assertError(intruder.next(), "not_found", "res-1");
            intruder.send(startAgent("hello", thread, "start-1"));
            assertError(intruder.next(), "not_found", "start-1");
            intruder.send("{\"type\":\"cancel_run\",\"run_id\":\"" + run + "\",\"request_id\":\"cancel-1\"}");
            assertError(intruder.next(), "not_found", "cancel-1");

            // The owner keeps using the thread; nothing of it reaches the intruder.
            owner.send(startAgent("What is 5*5?", thread, "owner-2"));
            String second = owner.next().path("run_id").asText();
            List<JsonNode> events = owner.runEvents(second);
            assertThat(events.get(events.size() - 1).path("payload").path("output").asText()).contains("25");
            intruder.send("{\"type\":\"ping\"}");
            assertThat(intruder.next().path("type").asText()).isEqualTo("pong");
            assertThat(intruder.drain()).isEmpty();
        }
    }

    private static void assertError(JsonNode frame, String code, String requestId) {
        assertThat(frame.path("type").asText()).as("frame %s", frame).isEqualTo("error");
        assertThat(frame.path("code").asText()).as("frame %s", frame).isEqualTo(code);
        assertThat(frame.path("request_id").asText()).as("frame %s", frame).isEqualTo(requestId);
    }

    private static Expected calculation(String expression, int result) {
        return new Expected("What is " + expression + "?", " = " + result);
    }

    private static String startAgent(String content, String threadId, String requestId) {
        ObjectNode frame = WsClient.JSON.createObjectNode().put("type", "start_agent").put("content", content)
                .put("request_id", requestId);
        if (threadId != null) {
            frame.put("thread_id", threadId);
        }
        return frame.toString();
    }

    private static JsonNode record(List<JsonNode> frames, JsonNode frame) {
        frames.add(frame);
        return frame;
    }
}
