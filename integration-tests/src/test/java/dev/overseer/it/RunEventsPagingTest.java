package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.EventStreamClient.Event;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /api/runs/{id}/events?after=N&limit=M}: pages that follow {@code next_cursor} and hold the live bytes. */
class RunEventsPagingTest {
    private static TestServer server;
    private static String token;
    private static Http http;
    /** The events of one finished run, exactly as streamed live. */
    private static List<String> live;
    private static String run;

    @BeforeAll
    static void startServerAndStreamOneRun() {
        server = TestServer.start();
        token = server.token("paging-alice");
        http = new Http(server, token);
        String thread = http.createThread();
        try (EventStreamClient stream = EventStreamClient.open(EventStreamClient.request(server, token,
                        "/api/threads/" + thread + "/runs")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"What is 6*7?\"}")).build())) {
            List<Event> events = stream.eventsUntilTerminal();
            live = events.stream().map(Event::data).toList();
            run = events.get(0).json().path("run_id").asText();
        }
        assertThat(live).hasSize(6);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void events_pagedByTwo_followNextCursorUntilNull_andHoldTheLiveBytes() {
        List<String> cursors = new ArrayList<>();
        List<String> paged = new ArrayList<>();
        String after = "0";
        while (after != null) {
            Http.Response page = http.get("/api/runs/" + run + "/events?after=" + after + "&limit=2");
            assertThat(page.status()).isEqualTo(200);
            List<String> data = RawJson.arrayElements(page.body(), "data");
            assertThat(data).as("page after %s", after).hasSizeBetween(1, 2);
            paged.addAll(data);
            JsonNode next = page.json().path("next_cursor");
            after = next.isNull() ? null : next.asText();
            cursors.add(after);
        }
        assertThat(cursors).containsExactly("2", "4", null);
        assertThat(paged).containsExactlyElementsOf(live);
    }

    @Test
    void events_pagedByOne_cursorIsTheSeqOfTheLastEventOfThePage() {
        List<String> cursors = new ArrayList<>();
        List<String> paged = new ArrayList<>();
        String after = "0";
        while (after != null) {
            Http.Response page = http.get("/api/runs/" + run + "/events?after=" + after + "&limit=1");
            List<String> data = RawJson.arrayElements(page.body(), "data");
            assertThat(data).hasSize(1);
            paged.addAll(data);
            JsonNode next = page.json().path("next_cursor");
            after = next.isNull() ? null : next.asText();
            cursors.add(after);
        }
        assertThat(cursors).containsExactly("1", "2", "3", "4", "5", null);
        assertThat(paged).containsExactlyElementsOf(live);
    }

    @Test
    void events_aPageThatHoldsTheRest_hasNoNextCursor_andAfterTheLastEventIsEmpty() {
        Http.Response rest = http.get("/api/runs/" + run + "/events?after=3&limit=3");
        assertThat(RawJson.arrayElements(rest.body(), "data")).containsExactlyElementsOf(live.subList(3, 6));
        assertThat(rest.json().path("next_cursor").isNull()).isTrue();

        Http.Response none = http.get("/api/runs/" + run + "/events?after=6");
        assertThat(none.body()).isEqualTo("{\"data\":[],\"next_cursor\":null}");

        Http.Response beyond = http.get("/api/runs/" + run + "/events?after=1000&limit=5");
        assertThat(beyond.json().path("data")).isEmpty();
    }

    @Test
    void events_withoutLimit_answerEveryEventOnOnePage() {
        Http.Response all = http.get("/api/runs/" + run + "/events");
        assertThat(RawJson.arrayElements(all.body(), "data")).containsExactlyElementsOf(live);
        assertThat(all.json().path("next_cursor").isNull()).isTrue();
    }
}
