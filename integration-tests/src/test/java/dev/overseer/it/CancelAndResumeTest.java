package dev.overseer.it;

import static dev.overseer.it.Frames.assertComplete;
import static dev.overseer.it.Frames.assertError;
import static dev.overseer.it.Frames.seqs;
import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cancel_run and resume (SPEC §5), and runs that outlive the connection that started them (SPEC §4). */
class CancelAndResumeTest {
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
    void cancelRun_ofAWaitingRun_endsItWithRunCancelledWithinOneSecond_andStoresItCancelled() {
        String user = newUser();
        try (WsClient client = connect(user); WsClient intruder = connect(newUser())) {
            client.send(Frames.startAgent("wait 30 seconds", null, "long"));
            String run = client.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> events = new ArrayList<>(until(client, run, "tool_executing"));

            // Another user cannot cancel it: the run does not exist for them, and it goes on.
            intruder.send(Frames.cancelRun(run, "not-yours"));
            assertError(intruder.next(), "not_found", "not-yours");
            Http http = new Http(server, server.token(user));
            assertThat(Frames.run(http, run).path("status").asText()).isIn("queued", "running");

            long cancelledAt = System.nanoTime();
            client.send(Frames.cancelRun(run, "stop-it"));
            List<JsonNode> rest = client.runEvents(run);
            Duration tookToEnd = Duration.ofNanos(System.nanoTime() - cancelledAt);
            events.addAll(rest);

            assertThat(tookToEnd).as("time from cancel_run to run_cancelled").isLessThan(Duration.ofSeconds(1));
            assertComplete(events, "run_cancelled");
            assertThat(events).extracting(Frames::type)
                    .containsExactly("agent_started", "agent_thinking", "tool_executing", "run_cancelled");
            assertThat(events.get(events.size() - 1).path("payload").size()).isZero();

            JsonNode stored = Frames.run(http, run);
            assertThat(stored.path("status").asText()).isEqualTo("cancelled");
            assertThat(stored.path("finished_at").asText()).isNotBlank();
            assertThat(Frames.stored(http, run)).containsExactlyElementsOf(events);

            // A finished run can no longer be cancelled; the connection carries on.
            client.send(Frames.cancelRun(run, "again"));
            assertError(client.nextOfType("error"), "run_not_active", "again");
            intruder.send(Frames.cancelRun(run, "still-not-yours"));
            assertError(intruder.next(), "not_found", "still-not-yours");
            client.send(Frames.ping());
            assertThat(type(client.next())).isEqualTo("pong");
        }
    }

    @Test
    void resume_onANewConnection_whileTheRunIsLive_sendsExactlyTheEventsAfterSeq() {
        String user = newUser();
        String run;
        try (WsClient first = connect(user)) {
            first.send(Frames.startAgent("wait 3 seconds", null, "live"));
            run = first.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> seen = until(first, run, "tool_executing");
            assertThat(seqs(seen)).containsExactly(1, 2, 3);
            first.socket().abort();
        }
        Http http = new Http(server, server.token(user));
        // Still active (the move from queued to running is stored asynchronously, like the events).
        assertThat(Frames.run(http, run).path("status").asText()).as("the run outlived its connection")
                .isIn("queued", "running");

        try (WsClient second = connect(user)) {
            second.send(Frames.resume(run, 2, "resume-live"));
            List<JsonNode> resumed = second.runEvents(run);
            assertThat(seqs(resumed)).containsExactly(3, 4, 5, 6);
            assertThat(type(resumed.get(resumed.size() - 1))).isEqualTo("run_completed");
            assertThat(resumed).containsExactlyElementsOf(Frames.stored(http, run).subList(2, 6));
        }
    }

    @Test
    void resume_ofAFinishedRun_replaysTheStoredEventsAfterSeq_andNothingAfterTheTerminal() {
        String user = newUser();
        List<JsonNode> live;
        String run;
        try (WsClient first = connect(user)) {
            first.send(Frames.startAgent("What is 6*7?", null, "finished"));
            run = first.nextOfType("run_accepted").path("run_id").asText();
            live = first.runEvents(run);
        }
        try (WsClient second = connect(user)) {
            second.send(Frames.resume(run, 2, "replay"));
            List<JsonNode> replayed = second.runEvents(run);
            assertThat(replayed).containsExactlyElementsOf(live.subList(2, live.size()));

            second.send(Frames.resume(run, 0, "replay-all"));
            assertThat(second.runEvents(run)).containsExactlyElementsOf(live);

            // After the terminal event there is nothing to send; the next frame is the pong.
            second.send(Frames.resume(run, live.size(), "nothing-left"));
            second.send(Frames.ping());
            assertThat(type(second.next())).isEqualTo("pong");
        }
    }

    @Test
    void resume_ofAnotherUsersRun_orOfNoRun_isNotFound() {
        String owner = newUser();
        String run;
        try (WsClient client = connect(owner)) {
            client.send(Frames.startAgent("hello", null, "mine"));
            run = client.nextOfType("run_accepted").path("run_id").asText();
            client.runEvents(run);
        }
        try (WsClient intruder = connect(newUser())) {
            intruder.send(Frames.resume(run, 0, "theirs"));
            JsonNode foreign = assertError(intruder.next(), "not_found", "theirs");
            intruder.send(Frames.resume("run_00000000000000000000000000", 0, "nobodys"));
            JsonNode missing = assertError(intruder.next(), "not_found", "nobodys");
            assertThat(foreign.path("message")).isEqualTo(missing.path("message"));
            intruder.send(Frames.resume("thr_00000000000000000000000000", 0, "not-a-run-id"));
            assertError(intruder.next(), "invalid_message", "not-a-run-id");
            intruder.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":-1,\"request_id\":\"negative\"}");
            assertError(intruder.next(), "invalid_message", "negative");
        }
    }

    @Test
    void resume_afterAServerRestart_replaysTheRunFromTheDatabase() {
        try (TestServer own = TestServer.start()) {
            String user = "restarted";
            String run;
            try (WsClient first = WsClient.connect(own, own.token(user))) {
                first.next();
                first.send(Frames.startAgent("wait 1 seconds", null, "across-restart"));
                run = first.nextOfType("run_accepted").path("run_id").asText();
                assertThat(seqs(until(first, run, "tool_executing"))).containsExactly(1, 2, 3);
                first.socket().abort();
            }
            // A graceful restart: the run finishes within the grace period, then a new process starts.
            own.restart();

            try (WsClient second = WsClient.connect(own, own.token(user))) {
                assertThat(type(second.next())).isEqualTo("connection_established");
                second.send(Frames.resume(run, 2, "after-restart"));
                List<JsonNode> resumed = second.runEvents(run);
                assertThat(seqs(resumed)).containsExactly(3, 4, 5, 6);
                assertThat(type(resumed.get(resumed.size() - 1))).isEqualTo("run_completed");
                Http http = new Http(own, own.token(user));
                assertThat(resumed).containsExactlyElementsOf(Frames.stored(http, run).subList(2, 6));
            }
        }
    }

    @Test
    void run_whoseConnectionDroppedAtOnce_goesOnToCompletion_andEveryEventIsStored() {
        String user = newUser();
        String run;
        try (WsClient client = connect(user)) {
            client.send(Frames.startAgent("wait 2 seconds", null, "orphan"));
            run = client.nextOfType("run_accepted").path("run_id").asText();
            client.socket().abort();
        }
        Http http = new Http(server, server.token(user));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> Frames.run(http, run).path("status").asText().equals("completed"));
        JsonNode stored = Frames.run(http, run);
        assertThat(stored.path("output").asText()).isEqualTo("I waited 2 seconds.");
        List<JsonNode> events = Frames.stored(http, run);
        assertComplete(events, "run_completed");
        assertThat(events).extracting(Frames::type).containsExactly("agent_started", "agent_thinking",
                "tool_executing", "tool_completed", "agent_completed", "run_completed");
        JsonNode messages = http.get("/api/threads/" + stored.path("thread_id").asText() + "/messages").json();
        assertThat(messages.path("data")).extracting(message -> message.path("content").asText())
                .containsExactly("wait 2 seconds", "I waited 2 seconds.");
    }

    /** The run's events up to and including the first of this type. */
    private static List<JsonNode> until(WsClient client, String run, String type) {
        return client.until(frame -> frame.path("run_id").asText().equals(run) && type(frame).equals(type)).stream()
                .filter(frame -> frame.has("seq") && frame.path("run_id").asText().equals(run))
                .toList();
    }

    private static String newUser() {
        return "cancel-resume-" + USERS.incrementAndGet();
    }

    private static WsClient connect(String user) {
        return WsClient.established(server, user);
    }
}
