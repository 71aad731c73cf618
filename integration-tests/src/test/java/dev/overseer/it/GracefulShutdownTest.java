package dev.overseer.it;

import static dev.overseer.it.Frames.assertComplete;
import static dev.overseer.it.Frames.assertError;
import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * Stopping the server (SIGTERM, or {@code OverseerServer.close()}): upgrades are refused with 503 while runs
 * drain for the grace period, runs still going after it end failed / interrupted, every socket is closed with
 * 1001, and everything emitted is stored (SPEC §2, §4, §5).
 */
class GracefulShutdownTest {

    @Test
    void close_drainsShortRuns_interruptsLongOnes_refusesUpgradesWith503_andClosesSocketsWith1001() throws Exception {
        try (TestServer server = TestServer.start(Map.of("OVERSEER_SHUTDOWN_GRACE_SECONDS", "3"))) {
            WsClient shortClient = connect(server, "drain-short");
            WsClient longClient = connect(server, "drain-long");
            try {
                shortClient.send(Frames.startAgent("wait 1 seconds", null, "short"));
                String shortRun = shortClient.nextOfType("run_accepted").path("run_id").asText();
                longClient.send(Frames.startAgent("wait 30 seconds", null, "long"));
                String longRun = longClient.nextOfType("run_accepted").path("run_id").asText();
                List<JsonNode> longEvents = new ArrayList<>(longClient.until(
                        frame -> frame.path("run_id").asText().equals(longRun) && type(frame).equals("tool_executing")));

                long closing = System.nanoTime();
                Thread closer = Thread.ofPlatform().name("test-shutdown").start(() -> server.server().close());

                // While the runs drain, new upgrades are refused and connected clients cannot start runs.
                await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                        .until(() -> upgradeStatus(server, "drain-late") == 503);
                longClient.send(Frames.startAgent("What is 6*7?", null, "too-late"));
                assertError(longClient.nextOfType("error"), "unavailable", "too-late");

                List<JsonNode> shortEvents = shortClient.runEvents(shortRun);
                assertComplete(shortEvents, "run_completed");
                assertThat(shortEvents.get(shortEvents.size() - 1).path("payload").path("output").asText())
                        .isEqualTo("I waited 1 seconds.");

                longEvents.addAll(longClient.runEvents(longRun));
                Duration interruptedAfter = Duration.ofNanos(System.nanoTime() - closing);
                longEvents.removeIf(frame -> !frame.has("seq"));
                assertComplete(longEvents, "run_failed");
                assertThat(longEvents.get(longEvents.size() - 1).path("payload").path("code").asText())
                        .isEqualTo("interrupted");
                assertThat(interruptedAfter).as("the grace period was granted").isGreaterThan(Duration.ofMillis(2_500));

                assertThat(shortClient.closeCode().get(10, TimeUnit.SECONDS)).isEqualTo(1001);
                assertThat(longClient.closeCode().get(10, TimeUnit.SECONDS)).isEqualTo(1001);
                closer.join(Duration.ofSeconds(20));
                assertThat(closer.isAlive()).isFalse();

                // The next process finds both runs finished, with every event that was sent.
                server.restart();
                Http shortHttp = new Http(server, server.token("drain-short"));
                Http longHttp = new Http(server, server.token("drain-long"));
                assertThat(Frames.run(shortHttp, shortRun).path("status").asText()).isEqualTo("completed");
                JsonNode failed = Frames.run(longHttp, longRun);
                assertThat(failed.path("status").asText()).isEqualTo("failed");
                assertThat(failed.path("error").path("code").asText()).isEqualTo("interrupted");
                assertThat(Frames.stored(shortHttp, shortRun)).containsExactlyElementsOf(shortEvents);
                assertThat(Frames.stored(longHttp, longRun)).containsExactlyElementsOf(longEvents);
            } finally {
                shortClient.close();
                longClient.close();
            }
        }
    }

    @RepeatedTest(3)
    void close_deliversEveryInterruptedRun_toTheConnectionThatStartedIt_beforeClosingItWith1001() throws Exception {
        int runs = 5;
        try (TestServer server = TestServer.start(Map.of("OVERSEER_SHUTDOWN_GRACE_SECONDS", "0",
                "OVERSEER_MAX_ACTIVE_RUNS_PER_USER", Integer.toString(runs)))) {
            WsClient client = connect(server, "drain-many");
            try {
                Set<String> started = new HashSet<>();
                List<JsonNode> before = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    client.send(Frames.startAgent("wait 30 seconds", null, "many-" + i));
                    started.add(client.nextOfType("run_accepted", before).path("run_id").asText());
                }
                Set<String> executing = new HashSet<>();
                before.stream().filter(frame -> type(frame).equals("tool_executing"))
                        .forEach(frame -> executing.add(frame.path("run_id").asText()));
                while (executing.size() < runs) {
                    executing.add(client.nextOfType("tool_executing").path("run_id").asText());
                }

                server.server().close();

                assertThat(client.closeCode().get(15, TimeUnit.SECONDS)).isEqualTo(1001);
                Set<String> interrupted = new HashSet<>();
                for (JsonNode frame : client.drain()) {
                    if (type(frame).equals("run_failed")) {
                        assertThat(frame.path("payload").path("code").asText()).isEqualTo("interrupted");
                        interrupted.add(frame.path("run_id").asText());
                    }
                }
                assertThat(interrupted).as("run_failed received before the 1001 close").isEqualTo(started);
            } finally {
                client.close();
            }
        }
    }

    private static int upgradeStatus(TestServer server, String user) {
        try (RawWebSocket attempt = RawWebSocket.connect(server, server.token(user))) {
            return attempt.status();
        }
    }

    private static WsClient connect(TestServer server, String user) {
        WsClient client = WsClient.connect(server, server.token(user));
        assertThat(type(client.next())).isEqualTo("connection_established");
        return client;
    }
}
