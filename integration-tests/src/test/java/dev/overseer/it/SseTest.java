package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.EventStreamClient.Comment;
import dev.overseer.it.EventStreamClient.Event;
import dev.overseer.it.EventStreamClient.Item;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs' events as Server-Sent Events (SPEC §6): live on start, resumable with Last-Event-ID, replayed when finished. */
class SseTest {
    private static TestServer server;
    private static String token;
    private static Http http;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        token = server.token("sse-alice");
        http = new Http(server, token);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void startRun_acceptingEventStream_streamsEachEventAsItHappens_andEndsAfterTheTerminalEvent() {
        String thread = http.createThread();
        try (EventStreamClient stream = EventStreamClient.open(startRequest(thread, "Please wait 2 seconds"))) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/event-stream"));
            assertThat(stream.headers().firstValue("Cache-Control")).contains("no-cache");

            List<Event> events = new ArrayList<>();
            for (int seq = 1; seq <= 3; seq++) {
                events.add(stream.nextEvent());
            }
            assertThat(events).extracting(Event::event).containsExactly("agent_started", "agent_thinking",
                    "tool_executing");
            // The tool is still sleeping: these events came while the run was running, not in one batch at its end.
            // (The stored status may still read queued for a moment: it is written behind the events.)
            String run = events.get(0).json().path("run_id").asText();
            JsonNode duringTheWait = http.get("/api/runs/" + run).json();
            assertThat(duringTheWait.path("status").asText()).isIn("queued", "running");
            assertThat(duringTheWait.path("finished_at").isNull()).isTrue();

            events.addAll(stream.eventsUntilTerminal());
            stream.awaitEnd(Duration.ofSeconds(5));
            assertWellFormed(events, run, thread);
            assertThat(events).extracting(Event::event).containsExactly("agent_started", "agent_thinking",
                    "tool_executing", "tool_completed", "agent_completed", "run_completed");
            assertThat(events.get(5).json().path("payload").path("output").asText()).contains("waited 2 seconds");

            // GET /api/runs/{id}/events answers the very same bytes that were streamed live.
            Http.Response replay = http.get("/api/runs/" + run + "/events");
            assertThat(replay.status()).isEqualTo(200);
            assertThat(replay.body()).isEqualTo("{\"data\":["
                    + String.join(",", events.stream().map(Event::data).toList()) + "],\"next_cursor\":null}");
            assertThat(http.get("/api/runs/" + run).json().path("origin").asText()).isEqualTo("http");
        }
    }

    @Test
    void eventStream_idleWhileAToolRuns_getsAKeepAliveComment_thenTheRestOfTheRun() {
        String thread = http.createThread();
        try (EventStreamClient stream = EventStreamClient.open(startRequest(thread, "wait 17 seconds"))) {
            assertThat(stream.status()).isEqualTo(200);
            List<Item> items = new ArrayList<>();
            while (items.size() < 3) {
                items.add(stream.nextEvent());
            }
            // Nothing happens for 17 s; the 15 s keep-alive comes first.
            Item idle = stream.next(Duration.ofSeconds(17));
            assertThat(idle).isEqualTo(new Comment("keep-alive"));
            assertThat(stream.rawText()).contains("\n\n: keep-alive\n");
            List<Event> rest = stream.eventsUntilTerminal(Duration.ofSeconds(10));
            assertThat(rest).extracting(Event::event).containsExactly("tool_completed", "agent_completed",
                    "run_completed");
            assertThat(rest).extracting(Event::seq).containsExactly(4, 5, 6);
            stream.awaitEnd(Duration.ofSeconds(5));
        }
    }

    @Test
    void runEvents_clientDropsMidRun_reconnectsWithLastEventIdOrAfter_andGetsExactlyTheRest() {
        String thread = http.createThread();
        Http.Response started = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"wait 3 seconds\"}");
        assertThat(started.status()).isEqualTo(202);
        String run = started.json().path("id").asText();

        List<Event> beforeDrop = new ArrayList<>();
        try (EventStreamClient first = EventStreamClient.open(eventsRequest(run).build())) {
            assertThat(first.status()).isEqualTo(200);
            for (int seq = 1; seq <= 3; seq++) {
                beforeDrop.add(first.nextEvent());
            }
        }
        assertThat(beforeDrop).extracting(Event::seq).containsExactly(1, 2, 3);
        // Still inside the 3 s wait: both reconnections join a run that is still going.
        assertThat(http.get("/api/runs/" + run).json().path("finished_at").isNull()).isTrue();

        try (EventStreamClient byHeader = EventStreamClient.open(eventsRequest(run).header("Last-Event-ID", "3").build());
                EventStreamClient byQuery = EventStreamClient.open(eventsRequest(run, "?after=3").build())) {
            List<Event> resumedByHeader = byHeader.eventsUntilTerminal();
            List<Event> resumedByQuery = byQuery.eventsUntilTerminal();
            byHeader.awaitEnd(Duration.ofSeconds(5));
            byQuery.awaitEnd(Duration.ofSeconds(5));

            assertThat(resumedByHeader).extracting(Event::seq).containsExactly(4, 5, 6);
            assertThat(resumedByQuery).isEqualTo(resumedByHeader);
            List<Event> whole = new ArrayList<>(beforeDrop);
            whole.addAll(resumedByHeader);
            assertWellFormed(whole, run, thread);
            assertThat(RawJson.arrayElements(http.get("/api/runs/" + run + "/events").body(), "data"))
                    .containsExactlyElementsOf(whole.stream().map(Event::data).toList());
        }
    }

    @Test
    void runEvents_ofAFinishedRun_replayAndClose_fromTheStartOrAfterLastEventId() {
        String thread = http.createThread();
        Http.Response finished = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}");
        assertThat(finished.status()).isEqualTo(200);
        String run = finished.json().path("id").asText();
        List<String> stored = RawJson.arrayElements(http.get("/api/runs/" + run + "/events").body(), "data");
        assertThat(stored).hasSize(6);

        try (EventStreamClient all = EventStreamClient.open(eventsRequest(run).build())) {
            List<Event> events = all.eventsUntilTerminal();
            all.awaitEnd(Duration.ofSeconds(5));
            assertWellFormed(events, run, thread);
            assertThat(events).extracting(Event::data).containsExactlyElementsOf(stored);
        }
        try (EventStreamClient rest = EventStreamClient.open(eventsRequest(run).header("Last-Event-ID", "4").build())) {
            List<Event> events = rest.eventsUntilTerminal();
            rest.awaitEnd(Duration.ofSeconds(5));
            assertThat(events).extracting(Event::data).containsExactlyElementsOf(stored.subList(4, 6));
        }
        // After the terminal event there is nothing left: the stream closes at once, empty.
        try (EventStreamClient none = EventStreamClient.open(eventsRequest(run, "?after=6").build())) {
            assertThat(none.status()).isEqualTo(200);
            none.awaitEnd(Duration.ofSeconds(5));
            assertThat(none.rawText()).isEmpty();
        }
    }

    @Test
    void eventStreams_ofAnotherUsersRunOrThread_areNotFoundProblems() {
        String thread = http.createThread();
        String run = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"hello\"}").json()
                .path("id").asText();
        String intruder = server.token("sse-mallory");

        try (EventStreamClient foreign = EventStreamClient.open(
                EventStreamClient.request(server, intruder, "/api/runs/" + run + "/events").build())) {
            assertThat(foreign.status()).isEqualTo(404);
            assertThat(foreign.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
            JsonNode problem = json(foreign.bodyText());
            assertThat(problem.path("code").asText()).isEqualTo("not_found");
            assertThat(problem.path("status").asInt()).isEqualTo(404);
        }
        try (EventStreamClient foreign = EventStreamClient.open(EventStreamClient.request(server, intruder,
                        "/api/threads/" + thread + "/runs")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"hello\"}")).build())) {
            assertThat(foreign.status()).isEqualTo(404);
            assertThat(json(foreign.bodyText()).path("code").asText()).isEqualTo("not_found");
        }
        // The owner's thread got nothing from the intruder.
        assertThat(http.get("/api/threads/" + thread + "/messages").json().path("data")).hasSize(2);
    }

    private static HttpRequest startRequest(String thread, String content) {
        return EventStreamClient.request(server, token, "/api/threads/" + thread + "/runs")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"" + content + "\"}"))
                .build();
    }

    private static HttpRequest.Builder eventsRequest(String run) {
        return eventsRequest(run, "");
    }

    private static HttpRequest.Builder eventsRequest(String run, String query) {
        return EventStreamClient.request(server, token, "/api/runs/" + run + "/events" + query);
    }

    /** id = seq (1, 2, … with no gap), event = the data's type, data = one event of this run and thread. */
    private static void assertWellFormed(List<Event> events, String run, String thread) {
        assertThat(events).extracting(Event::seq)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
        for (Event event : events) {
            JsonNode data = event.json();
            assertThat(data.path("seq").asInt()).as("seq of %s", event).isEqualTo(event.seq());
            assertThat(data.path("type").asText()).as("type of %s", event).isEqualTo(event.event());
            assertThat(data.path("run_id").asText()).as("run of %s", event).isEqualTo(run);
            assertThat(data.path("thread_id").asText()).as("thread of %s", event).isEqualTo(thread);
        }
        assertThat(events.stream().filter(Event::terminal)).hasSize(1);
        assertThat(events.get(events.size() - 1).terminal()).isTrue();
    }

    private static JsonNode json(String text) {
        try {
            return WsClient.JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
