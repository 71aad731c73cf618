package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.Frames;
import dev.overseer.it.Http;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3: every resource belongs to one user; another user's is 404 / not_found, exactly as if it did not
 * exist. 50 users at once, two WebSocket connections each plus HTTP, probe each other's threads and runs with
 * every operation; afterwards no connection holds a frame, and no list a row, of another user.
 */
class IsolationSoakTest {
    private static final int USERS = 50;
    private static final int VICTIMS_PER_USER = 3;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    record Owned(String thread, String wsRun, String httpThread, String httpRun) {
        Set<String> ids() {
            return Set.of(thread, wsRun, httpThread, httpRun);
        }
    }

    private final Map<String, Owned> owned = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> idsOf = new ConcurrentHashMap<>();
    private final List<String> leaks = Collections.synchronizedList(new ArrayList<>());
    private final List<String> wrong = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger probes = new AtomicInteger();
    private final AtomicInteger runs = new AtomicInteger();
    private final AtomicInteger frames = new AtomicInteger();
    private final CyclicBarrier published = new CyclicBarrier(USERS);
    private final CyclicBarrier probed = new CyclicBarrier(USERS);
    private final CyclicBarrier ranAgain = new CyclicBarrier(USERS);

    @Test
    void fiftyUsersProbingEachOther_seeNothingOfAnotherUser() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> users = new ArrayList<>();
            for (int i = 0; i < USERS; i++) {
                int index = i;
                users.add(pool.submit(() -> {
                    user(index);
                    return null;
                }));
            }
            for (Future<?> user : users) {
                user.get(150, TimeUnit.SECONDS);
            }
        }
        Figures.of("isolation-soak").put("users", USERS).put("connections", USERS * 2).put("runs", runs.get())
                .put("probes", probes.get()).put("frames_checked", frames.get()).put("leaks", leaks.size())
                .put("wrong_answers", wrong.size()).print();
        assertThat(wrong).as("probes answered otherwise than an id that exists nowhere").isEmpty();
        assertThat(leaks).as("frames or rows of another user").isEmpty();
    }

    private void user(int index) throws Exception {
        String user = "iso-" + index;
        Http http = new Http(server, server.token(user));
        Random random = Seed.random("isolation-" + index);
        List<JsonNode> received = new ArrayList<>();
        try (WsClient a = WsClient.established(server, user); WsClient b = WsClient.established(server, user)) {
            a.send(Frames.startAgent("user " + index + " asks: What is " + (index + 2) + "*7?", null, "first"));
            JsonNode accepted = a.nextOfType("run_accepted", received);
            String thread = accepted.path("thread_id").asText();
            String wsRun = accepted.path("run_id").asText();
            b.send(Frames.subscribe(thread, "sub-own"));
            List<JsonNode> events = a.runEvents(wsRun);
            received.addAll(events);
            Frames.assertComplete(events, "run_completed");
            assertThat(events.get(events.size() - 1).path("payload").path("output").asText()).contains(String.valueOf((index + 2) * 7));
            String httpThread = http.createThread();
            String httpRun = http.post("/api/threads/" + httpThread + "/runs?wait=true", "{\"content\":\"hello from " + user + "\"}")
                    .json().path("id").asText();
            runs.addAndGet(2);
            Owned mine = new Owned(thread, wsRun, httpThread, httpRun);
            owned.put(user, mine);
            idsOf.put(user, mine.ids());
            published.await(60, TimeUnit.SECONDS);

            List<String> others = new ArrayList<>(owned.keySet());
            others.remove(user);
            Collections.shuffle(others, random);
            for (String victim : others.subList(0, VICTIMS_PER_USER)) {
                probe(user, http, b, owned.get(victim), received);
            }
            probed.await(90, TimeUnit.SECONDS);

            // Every user runs again on its thread: the subscribed connection b sees it; nobody else may.
            a.send(Frames.startAgent("again " + index, thread, "again"));
            String again = a.nextOfType("run_accepted", received).path("run_id").asText();
            received.addAll(a.runEvents(again));
            List<JsonNode> onB = b.runEvents(again);
            received.addAll(onB);
            Frames.assertComplete(onB, "run_completed");
            runs.incrementAndGet();
            ranAgain.await(90, TimeUnit.SECONDS);
            Thread.sleep(300);
            received.addAll(a.drain());
            received.addAll(b.drain());
        }
        Set<String> mineIds = new java.util.HashSet<>(idsOf.get(user));
        for (JsonNode frame : received) {
            frames.incrementAndGet();
            for (String field : List.of("run_id", "thread_id")) {
                String id = frame.path(field).asText("");
                if (!id.isEmpty() && !mineIds.contains(id) && belongsToSomeoneElse(user, id)) {
                    leaks.add(user + " received " + frame);
                }
            }
            String userId = frame.path("user_id").asText("");
            if (!userId.isEmpty() && !userId.equals(user)) {
                leaks.add(user + " received a frame naming " + userId + ": " + frame);
            }
        }
        // Listings hold only the caller's rows.
        for (JsonNode row : http.get("/api/threads?limit=100").json().path("data")) {
            String id = row.path("id").asText();
            if (belongsToSomeoneElse(user, id)) {
                leaks.add(user + " lists thread " + id);
            }
        }
    }

    private boolean belongsToSomeoneElse(String user, String id) {
        return idsOf.entrySet().stream().anyMatch(entry -> !entry.getKey().equals(user) && entry.getValue().contains(id));
    }

    /**
     * Probes the victim's resources with every operation, and the same operations on ids of the same shape that
     * exist nowhere: each answer to the victim's id must be the answer to the made-up one (SPEC §3: "exactly as if
     * it did not exist"), and over HTTP a 404.
     */
    private void probe(String user, Http http, WsClient ws, Owned victim, List<JsonNode> received) {
        String prefix = user + " probing " + victim.thread();
        Map<String, String> fakes = Map.of(victim.thread(), fake(victim.thread()), victim.wsRun(), fake(victim.wsRun()),
                victim.httpThread(), fake(victim.httpThread()), victim.httpRun(), fake(victim.httpRun()));
        List<String> wsProbes = List.of(
                Frames.subscribe(victim.thread(), "p-sub"),
                Frames.resume(victim.wsRun(), 0, "p-resume"),
                Frames.resume(victim.httpRun(), 0, "p-resume"),
                Frames.cancelRun(victim.wsRun(), "p-cancel"),
                "{\"type\":\"approve_tool\",\"run_id\":\"" + victim.wsRun()
                        + "\",\"tool_call_id\":\"call_1\",\"approved\":true,\"request_id\":\"p-approve\"}",
                Frames.startAgent("intrude", victim.thread(), "p-start"));
        for (String frame : wsProbes) {
            probes.incrementAndGet();
            JsonNode real = answer(ws, frame, received);
            JsonNode made = answer(ws, substitute(frame, fakes), received);
            if (!Frames.type(real).equals("error") || !substitute(real.toString(), fakes).equals(made.toString())) {
                wrong.add(prefix + ": " + frame + " answered " + real + ", an id that exists nowhere " + made);
            }
        }
        List<String[]> httpProbes = List.of(
                new String[] {"GET", "/api/threads/" + victim.thread(), null},
                new String[] {"GET", "/api/threads/" + victim.thread() + "/messages", null},
                new String[] {"GET", "/api/threads/" + victim.httpThread(), null},
                new String[] {"GET", "/api/runs/" + victim.wsRun(), null},
                new String[] {"GET", "/api/runs/" + victim.httpRun(), null},
                new String[] {"GET", "/api/runs/" + victim.wsRun() + "/events", null},
                new String[] {"GET", "/api/runs/" + victim.httpRun() + "/events?after=0", null},
                new String[] {"POST", "/api/runs/" + victim.httpRun() + "/cancel", "{}"},
                new String[] {"POST", "/api/runs/" + victim.httpRun() + "/approvals", "{\"tool_call_id\":\"call_1\",\"approved\":true}"},
                new String[] {"POST", "/api/threads/" + victim.thread() + "/runs", "{\"content\":\"intrude\"}"},
                new String[] {"PATCH", "/api/threads/" + victim.thread(), "{\"title\":\"mine now\"}"},
                new String[] {"DELETE", "/api/threads/" + victim.httpThread(), null});
        for (String[] request : httpProbes) {
            probes.incrementAndGet();
            Http.Response real = call(http, request[0], request[1], request[2]);
            Http.Response made = call(http, request[0], substitute(request[1], fakes), request[2]);
            if (real.status() != 404 || made.status() != 404
                    || !substitute(real.body(), fakes).equals(made.body())) {
                wrong.add(prefix + ": " + request[0] + " " + request[1] + " answered " + real.status() + " " + real.body()
                        + ", an id that exists nowhere " + made.status() + " " + made.body());
            }
        }
    }

    private static Http.Response call(Http http, String method, String path, String body) {
        return switch (method) {
            case "GET" -> http.get(path);
            case "POST" -> http.post(path, body);
            case "PATCH" -> http.patch(path, body);
            default -> http.delete(path);
        };
    }

    /** An id of the same prefix and length that no one has. */
    private static String fake(String id) {
        return id.substring(0, 4) + "0".repeat(id.length() - 10) + "zzzzzz";
    }

    private static String substitute(String text, Map<String, String> fakes) {
        String result = text;
        for (Map.Entry<String, String> entry : fakes.entrySet()) {
            result = result.replace(entry.getKey(), entry.getValue());
        }
        return result;
    }

    /** Sends a frame with a request id and returns the answer that carries it, keeping the frames in between. */
    private static JsonNode answer(WsClient ws, String frame, List<JsonNode> received) {
        String requestId = requestIdOf(frame);
        ws.send(frame);
        while (true) {
            JsonNode answer = ws.next(Duration.ofSeconds(20));
            if (requestId.equals(answer.path("request_id").asText())) {
                return answer;
            }
            received.add(answer);
        }
    }

    private static String requestIdOf(String frame) {
        try {
            return WsClient.JSON.readTree(frame).path("request_id").asText();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
