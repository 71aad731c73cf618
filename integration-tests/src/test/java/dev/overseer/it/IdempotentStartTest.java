package dev.overseer.it;

import static dev.overseer.it.Frames.assertComplete;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A repeated start_agent request_id answers the run it already started and starts nothing (SPEC §5). */
class IdempotentStartTest {
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
    void startAgent_withARequestIdAlreadyUsed_answersTheSameRun_andStartsNothing() {
        String user = newUser();
        Http http = new Http(server, server.token(user));
        String thread;
        try (WsClient client = connect(user)) {
            client.send(Frames.startAgent("What is 6*7?", null, "only-once"));
            JsonNode first = client.nextOfType("run_accepted");
            thread = first.path("thread_id").asText();
            List<JsonNode> events = client.runEvents(first.path("run_id").asText());
            assertComplete(events, "run_completed");

            // A retry (the client never saw the answer, say) gets the same run, and its events again.
            client.send(Frames.startAgent("What is 6*7?", null, "only-once"));
            JsonNode again = client.nextOfType("run_accepted");
            assertThat(again).isEqualTo(first);
            assertThat(client.runEvents(first.path("run_id").asText())).containsExactlyElementsOf(events);

            // The key names the request: other content under the same request_id still starts nothing.
            client.send(Frames.startAgent("What is 7*8?", null, "only-once"));
            assertThat(client.nextOfType("run_accepted")).isEqualTo(first);
            client.runEvents(first.path("run_id").asText());
        }
        JsonNode threads = http.get("/api/threads").json().path("data");
        assertThat(threads).extracting(each -> each.path("id").asText()).containsExactly(thread);
        assertThat(messagesOf(http, thread)).containsExactly("What is 6*7?", "6*7 = 42");
    }

    @Test
    void startAgent_sameRequestIdOnTwoConnectionsAtOnce_startsExactlyOneRun() throws Exception {
        String user = newUser();
        // The race it once lost (the retry found the key before the run's live stream) needs a few rounds to show.
        int rounds = 20;
        Http http = new Http(server, server.token(user));
        try (WsClient left = connect(user); WsClient right = connect(user);
                ExecutorService senders = Executors.newFixedThreadPool(2)) {
            for (int round = 0; round < rounds; round++) {
                String frame = Frames.startAgent("What is " + round + "+1?", null, "twin-" + round);
                CyclicBarrier together = new CyclicBarrier(2);
                Future<?> fromLeft = senders.submit(() -> sendTogether(left, frame, together));
                Future<?> fromRight = senders.submit(() -> sendTogether(right, frame, together));
                fromLeft.get(10, TimeUnit.SECONDS);
                fromRight.get(10, TimeUnit.SECONDS);

                JsonNode leftAccepted = left.nextOfType("run_accepted");
                JsonNode rightAccepted = right.nextOfType("run_accepted");
                assertThat(rightAccepted).as("round %d", round).isEqualTo(leftAccepted);
                String run = leftAccepted.path("run_id").asText();
                // Both connections follow the one run: the one whose start lost the race too.
                assertComplete(left.runEvents(run), "run_completed");
                assertComplete(right.runEvents(run), "run_completed");
            }
        }
        JsonNode threads = http.get("/api/threads?limit=100").json().path("data");
        assertThat(threads).as("one thread per request id").hasSize(rounds);
        for (JsonNode thread : threads) {
            assertThat(messagesOf(http, thread.path("id").asText())).as("messages of %s", thread).hasSize(2);
        }
    }

    @Test
    void startAgent_withAnotherUsersRequestId_startsTheirOwnRun() {
        String alice = newUser();
        String bob = newUser();
        try (WsClient aliceClient = connect(alice); WsClient bobClient = connect(bob)) {
            aliceClient.send(Frames.startAgent("What is 6*7?", null, "shared-key"));
            JsonNode alices = aliceClient.nextOfType("run_accepted");
            aliceClient.runEvents(alices.path("run_id").asText());

            bobClient.send(Frames.startAgent("What is 6*7?", null, "shared-key"));
            JsonNode bobs = bobClient.nextOfType("run_accepted");
            assertThat(bobs.path("request_id").asText()).isEqualTo("shared-key");
            assertThat(bobs.path("run_id").asText()).isNotEqualTo(alices.path("run_id").asText());
            assertThat(bobs.path("thread_id").asText()).isNotEqualTo(alices.path("thread_id").asText());
            List<JsonNode> bobsEvents = bobClient.runEvents(bobs.path("run_id").asText());
            assertComplete(bobsEvents, "run_completed");
            assertThat(bobsEvents).allMatch(event -> event.path("run_id").asText().equals(bobs.path("run_id").asText()));
        }
        assertThat(new Http(server, server.token(bob)).get("/api/threads").json().path("data")).hasSize(1);
        assertThat(new Http(server, server.token(alice)).get("/api/threads").json().path("data")).hasSize(1);
    }

    private static void sendTogether(WsClient client, String frame, CyclicBarrier together) {
        try {
            together.await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        client.send(frame);
    }

    private static List<String> messagesOf(Http http, String thread) {
        JsonNode data = http.get("/api/threads/" + thread + "/messages").json().path("data");
        return StreamSupport.stream(data.spliterator(), false)
                .map(message -> message.path("content").asText())
                .toList();
    }

    private static String newUser() {
        return "idempotent-" + USERS.incrementAndGet();
    }

    private static WsClient connect(String user) {
        return WsClient.established(server, user);
    }
}
