package dev.overseer.it;

import static dev.overseer.it.Frames.assertComplete;
import static dev.overseer.it.Frames.assertError;
import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** subscribe {thread_id}: a second tab follows every later run on a thread, whoever starts it (SPEC §5). */
class SubscribeTest {
    private static final AtomicInteger USERS = new AtomicInteger();
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void subscribe_fromASecondConnection_receivesEveryLaterRunOnTheThread_includingOnesStartedOverHttp() {
        String user = newUser();
        Http http = new Http(server, server.token(user));
        try (WsClient tab1 = connect(user); WsClient tab2 = connect(user)) {
            tab1.send(Frames.startAgent("What is 6*7?", null, "first"));
            JsonNode accepted = tab1.nextOfType("run_accepted");
            String thread = accepted.path("thread_id").asText();
            tab1.runEvents(accepted.path("run_id").asText());

            tab2.subscribe(thread, "follow-thread");

            tab1.send(Frames.startAgent("What is 2+3?", thread, "second"));
            String overWebSocket = tab1.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> seenByStarter = tab1.runEvents(overWebSocket);
            List<JsonNode> seenBySubscriber = tab2.runEvents(overWebSocket);
            assertComplete(seenBySubscriber, "run_completed");
            assertThat(seenBySubscriber).containsExactlyElementsOf(seenByStarter);

            Http.Response started = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"What is 4*5?\"}");
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String overHttp = started.json().path("id").asText();
            List<JsonNode> httpRun = tab2.runEvents(overHttp);
            assertComplete(httpRun, "run_completed");
            assertThat(httpRun.get(httpRun.size() - 1).path("payload").path("output").asText()).contains("20");
            assertThat(httpRun).containsExactlyElementsOf(Frames.stored(http, overHttp));

            // The tab that did not subscribe hears nothing of the run it did not start.
            tab1.send(Frames.ping());
            assertThat(tab1.until(frame -> type(frame).equals("pong")))
                    .noneMatch(frame -> frame.path("run_id").asText().equals(overHttp));
        }
    }

    @Test
    void subscribe_toTheThreadOfItsOwnRuns_stillAnswersRunAcceptedFirst_andDeliversEachEventOnce() {
        String user = newUser();
        try (WsClient client = connect(user)) {
            client.send(Frames.startAgent("hello", null, "own-first"));
            JsonNode accepted = client.nextOfType("run_accepted");
            String thread = accepted.path("thread_id").asText();
            client.runEvents(accepted.path("run_id").asText());
            client.subscribe(thread, "own-thread");
            client.subscribe(thread, "own-thread-again");

            for (int round = 0; round < 10; round++) {
                client.send(Frames.startAgent("What is " + round + "+1?", thread, "own-" + round));
                List<JsonNode> frames = client.until(WsClient::isTerminal);
                assertThat(type(frames.get(0))).as("first answer to start %d: %s", round, frames).isEqualTo("run_accepted");
                String run = frames.get(0).path("run_id").asText();
                assertComplete(frames.subList(1, frames.size()), "run_completed");
                assertThat(frames).allMatch(frame -> frame.path("run_id").asText().equals(run));
            }
            client.send(Frames.ping());
            assertThat(client.until(frame -> type(frame).equals("pong"))).as("no event twice").hasSize(1);
        }
    }

    @Test
    void subscribe_toAnotherUsersThread_orToNoThread_isNotFound() {
        String owner = newUser();
        String thread;
        try (WsClient client = connect(owner)) {
            client.send(Frames.startAgent("hello", null, "owner"));
            JsonNode accepted = client.nextOfType("run_accepted");
            thread = accepted.path("thread_id").asText();
            client.runEvents(accepted.path("run_id").asText());
        }
        String intruderUser = newUser();
        try (WsClient intruder = connect(intruderUser)) {
            intruder.send(Frames.subscribe(thread, "theirs"));
            JsonNode foreign = assertError(intruder.next(), "not_found", "theirs");
            intruder.send(Frames.subscribe("thr_00000000000000000000000000", "nobodys"));
            JsonNode missing = assertError(intruder.next(), "not_found", "nobodys");
            assertThat(foreign.path("message")).isEqualTo(missing.path("message"));
            intruder.send(Frames.subscribe("not-a-thread", "malformed"));
            assertError(intruder.next(), "invalid_message", "malformed");

            // The owner's next run on that thread reaches only the owner.
            Http ownerHttp = new Http(server, server.token(owner));
            Http.Response started = ownerHttp.post("/api/threads/" + thread + "/runs?wait=true",
                    "{\"content\":\"What is 3*3?\"}");
            assertThat(started.status()).as(started.body()).isEqualTo(200);
            intruder.send(Frames.ping());
            assertThat(intruder.until(frame -> type(frame).equals("pong"))).hasSize(1);
        }
    }

    /** Subscribes, and waits for a pong: frames of one connection are handled in order. */
    private static String newUser() {
        return "subscribe-" + USERS.incrementAndGet();
    }

    private static WsClient connect(String user) {
        return WsClient.established(server, user);
    }
}
