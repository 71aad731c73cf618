package dev.overseer.it;

import static dev.overseer.it.Frames.assertError;
import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-user limits: connections, active runs, and the start rate (SPEC §2, §5). */
class ConnectionLimitsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of(
                "OVERSEER_MAX_CONNECTIONS_PER_USER", "2",
                "OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "2"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void upgrade_beyondTheUsersConnectionLimit_isRefusedWith429_untilOneCloses() {
        String user = "conn-limit";
        WsClient first = connect(user);
        try (WsClient second = connect(user)) {
            assertThat(upgradeStatus(user)).isEqualTo(429);

            // The limit is per user: someone else still gets in.
            try (WsClient other = connect("conn-limit-other")) {
                other.send(Frames.ping());
                assertThat(type(other.next())).isEqualTo("pong");
            }

            // The first two keep working, and once one closes there is room again.
            second.send(Frames.ping());
            assertThat(type(second.next())).isEqualTo("pong");
            first.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> openConnectionsOf(user) == 1);
            try (WsClient third = connect(user)) {
                third.send(Frames.ping());
                assertThat(type(third.next())).isEqualTo("pong");
            }
        } finally {
            first.close();
        }
    }

    @Test
    void concurrentUpgrades_beyondTheLimit_leaveExactlyTheLimitOpen() throws Exception {
        String user = "conn-race";
        List<WsClient> admitted = new ArrayList<>();
        int refused = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(6)) {
            List<Future<WsClient>> attempts = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                attempts.add(pool.submit(() -> WsClient.connect(server, server.token(user))));
            }
            for (Future<WsClient> attempt : attempts) {
                try {
                    admitted.add(attempt.get(10, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause() instanceof CompletionException ? e.getCause().getCause() : e.getCause();
                    assertThat(cause).isInstanceOf(WebSocketHandshakeException.class);
                    assertThat(((WebSocketHandshakeException) cause).getResponse().statusCode()).isEqualTo(429);
                    refused++;
                }
            }
        }
        try {
            // An upgrade that passed the HTTP check in the same instant as another is closed at once with 1008.
            int open = 0;
            int closed = 0;
            for (WsClient client : admitted) {
                List<JsonNode> frames = new ArrayList<>();
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> frames.addAll(client.drain()) || !frames.isEmpty() || client.closeCode().isDone());
                if (!frames.isEmpty()) {
                    assertThat(type(frames.get(0))).isEqualTo("connection_established");
                    open++;
                } else {
                    assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1008);
                    closed++;
                }
            }
            assertThat(open).isEqualTo(2);
            assertThat(refused + closed).isEqualTo(4);
            await().atMost(Duration.ofSeconds(5)).until(() -> openConnectionsOf(user) == 2);
        } finally {
            admitted.forEach(WsClient::close);
        }
    }

    @Test
    void startAgent_beyondTheActiveRunLimit_isTooManyRuns_untilARunEnds() {
        try (WsClient client = connect("run-limit")) {
            client.send(Frames.startAgent("wait 20 seconds", null, "one"));
            String one = client.nextOfType("run_accepted").path("run_id").asText();
            client.send(Frames.startAgent("wait 20 seconds", null, "two"));
            String two = client.nextOfType("run_accepted").path("run_id").asText();

            client.send(Frames.startAgent("What is 6*7?", null, "three"));
            JsonNode refused = assertError(client.nextOfType("error"), "too_many_runs", "three");
            assertThat(refused.path("message").asText()).contains("2");

            client.send(Frames.cancelRun(one, "free-a-slot"));
            client.until(frame -> WsClient.isTerminal(frame) && frame.path("run_id").asText().equals(one));
            client.send(Frames.startAgent("What is 6*7?", null, "four"));
            String four = client.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> events = client.runEvents(four);
            assertThat(type(events.get(events.size() - 1))).isEqualTo("run_completed");
            client.send(Frames.cancelRun(two, "clean-up"));
            client.runEvents(two);
        }
    }

    @Test
    void startAgent_rightAfterTheTerminalEventOfARun_isNeverTooManyRuns() {
        try (WsClient client = connect("run-limit-reuse")) {
            client.send(Frames.startAgent("wait 20 seconds", null, "holds-a-slot"));
            String holding = client.nextOfType("run_accepted").path("run_id").asText();
            // With one slot left, each start must wait for the previous run, and the terminal event is the sign
            // that it ended: the slot is free by then.
            for (int round = 0; round < 100; round++) {
                client.send(Frames.startAgent("What is " + round + "*2?", null, "reuse-" + round));
                JsonNode answer = client.until(frame -> type(frame).equals("run_accepted") || type(frame).equals("error"))
                        .getLast();
                assertThat(type(answer)).as("answer to start %d: %s", round, answer).isEqualTo("run_accepted");
                List<JsonNode> events = client.runEvents(answer.path("run_id").asText());
                assertThat(type(events.get(events.size() - 1))).isEqualTo("run_completed");
            }
            client.send(Frames.cancelRun(holding, "clean-up"));
            client.runEvents(holding);
        }
    }

    @Test
    void rapidStarts_beyondTheBurst_areRateLimitedWithRetryAfter_andAStartAfterThatDelaySucceeds() throws Exception {
        try (TestServer limited = TestServer.start(Map.of(
                "OVERSEER_RUN_START_BURST", "3",
                "OVERSEER_RUN_STARTS_PER_SECOND", "1"));
                WsClient client = WsClient.connect(limited, limited.token("rate"))) {
            client.next();
            for (int i = 1; i <= 4; i++) {
                client.send(Frames.startAgent("hello " + i, null, "rapid-" + i));
            }
            List<JsonNode> answers = new ArrayList<>();
            while (answers.size() < 4) {
                JsonNode frame = client.next();
                if (type(frame).equals("run_accepted") || type(frame).equals("error")) {
                    answers.add(frame);
                }
            }
            assertThat(answers.subList(0, 3)).extracting(Frames::type).containsOnly("run_accepted");
            JsonNode limitedAnswer = assertError(answers.get(3), "rate_limited", "rapid-4");
            long retryAfter = limitedAnswer.path("retry_after_ms").asLong();
            assertThat(retryAfter).isBetween(1L, 1_000L);

            // The client waits as it was told to, and the start goes through.
            Thread.sleep(retryAfter);
            client.send(Frames.startAgent("hello again", null, "after-the-wait"));
            JsonNode accepted = client.nextOfType("run_accepted");
            assertThat(accepted.path("request_id").asText()).isEqualTo("after-the-wait");
        }
    }

    private static int upgradeStatus(String user) {
        Throwable thrown = catchThrowable(() -> HTTP.newWebSocketBuilder()
                .header("Authorization", "Bearer " + server.token(user))
                .buildAsync(server.ws(), new WebSocket.Listener() {
                }).join().abort());
        assertThat(thrown).isInstanceOf(CompletionException.class);
        assertThat(thrown.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        return ((WebSocketHandshakeException) thrown.getCause()).getResponse().statusCode();
    }

    private static long openConnectionsOf(String user) {
        return server.server().webSockets().connections().openContexts().stream()
                .filter(context -> context.userId().value().equals(user))
                .count();
    }

    private static WsClient connect(String user) {
        WsClient client = WsClient.connect(server, server.token(user));
        assertThat(type(client.next())).isEqualTo("connection_established");
        return client;
    }
}
