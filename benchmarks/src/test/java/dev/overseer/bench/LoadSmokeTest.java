package dev.overseer.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The load harness works end to end: both servers start, the client drives them for 2 s, and the numbers
 * are sane. Benchmarks are not tests: nothing here depends on how fast this machine is.
 */
class LoadSmokeTest {
    private static final Path OVERSEER_JAR = Path.of(System.getProperty("overseer.jar", "../app/target/overseer.jar"));

    @Test
    void load_againstEchoAndOverseer_measuresPositiveRatesWithoutErrors() throws Exception {
        assertThat(OVERSEER_JAR).as("Overseer's jar (built by the app module before this one)").isRegularFile();
        LoadBenchmark.Config config = new LoadBenchmark.Config(8, WarmUp.parse("0.5"), Duration.ofSeconds(2), 1,
                new Servers.Launch(OVERSEER_JAR, List.of("-Xmx512m"), Map.of(), null, false), true, true, 1);

        LoadBenchmark.Outcome outcome = LoadBenchmark.run(config);

        WsLoad.Result echo = outcome.echo();
        assertThat(echo.connected()).isEqualTo(8);
        assertThat(echo.stats().errors).isEmpty();
        assertThat(echo.framesPerSecond()).isPositive();
        assertThat(echo.stats().percentiles().p50()).isPositive();

        WsLoad.Result overseer = outcome.overseer();
        assertThat(overseer.connected()).isEqualTo(8);
        assertThat(overseer.stats().errors).isEmpty();
        assertThat(overseer.runsPerSecond()).isPositive();
        assertThat(overseer.framesPerSecond()).isGreaterThan(overseer.runsPerSecond());
        // run_accepted, then the events of a calculator run through to run_completed
        assertThat(overseer.framesPerRun()).isBetween(4.0, 12.0);
        LoadStats.Percentiles latency = overseer.stats().percentiles();
        assertThat(latency.p50()).isPositive().isLessThanOrEqualTo(latency.p99());
        assertThat(latency.p99()).isLessThanOrEqualTo(latency.max());
        assertThat(outcome.ratio()).isPositive();
        assertThat(outcome.toJson().path("overseer").path("run_latency_ms").path("p99").asDouble()).isPositive();
        assertThat(outcome.overseerWarnings()).isEmpty();
    }

    /** On Overseer's embedded H2, then on the PostgreSQL the harness starts itself ({@code --postgres}). */
    @ParameterizedTest(name = "postgres={0}")
    @ValueSource(booleans = {false, true})
    void http_runsWithWaitTrue_completeWithoutErrors(boolean postgres) throws Exception {
        try (Servers.Overseer server = Servers.overseer(
                new Servers.Launch(OVERSEER_JAR, List.of("-Xmx512m"), Map.of(), null, postgres))) {
            WsLoad.Result http = HttpLoad.run(new HttpLoad.Settings(server.process().address(), 4,
                    WarmUp.parse("0.5"), Duration.ofSeconds(2), server.tokens(), "smoke-http-"),
                    server.process().pid());

            assertThat(http.stats().errors).isEmpty();
            assertThat(http.runsPerSecond()).isPositive();
            assertThat(http.stats().percentiles().p50()).isPositive();
        }
    }

    @Test
    void nodes_twoNodesOnThePostgresTheHarnessStarts_deliverEveryRunToTheOtherNodesFollower() throws Exception {
        List<Servers.Overseer> nodes = Servers.overseers(
                new Servers.Launch(OVERSEER_JAR, List.of("-Xmx512m"), Map.of(), null, true), 2);
        try {
            Tokens tokens = nodes.get(0).tokens();
            List<Map<String, String>> headers = List.of(0, 1, 2, 3).stream()
                    .map(i -> Map.of("Authorization", "Bearer " + tokens.mint("smoke-nodes-" + i),
                            "Sec-WebSocket-Protocol", "overseer.v1"))
                    .toList();
            NodesLoad.Result result = NodesLoad.run(new NodesLoad.Settings(
                    nodes.stream().map(node -> node.process().address()).toList(), 4, WarmUp.parse("0.5"),
                    Duration.ofSeconds(2), 1, headers), nodes.get(0).process().pid());

            assertThat(result.runs().errors).isEmpty();
            assertThat(result.delivery().errors).isEmpty();
            assertThat(result.runsPerSecond()).isPositive();
            assertThat(result.delivery().runs).as("runs delivered to the other node's follower").isPositive();
            assertThat(result.missed()).as("runs the follower never received").isZero();
        } finally {
            nodes.forEach(Servers.Overseer::close);
        }
    }

    @Test
    void idle_holdsConnections_andMeasuresTheServerHeap() throws Exception {
        try (Servers.Overseer server = Servers.overseer(
                new Servers.Launch(OVERSEER_JAR, List.of("-Xmx512m"), Map.of(), null, false))) {
            IdleLoad.Result idle = IdleLoad.run(new IdleLoad.Settings(server.process().address(), 200, 200, 1, 64,
                    Duration.ofMillis(500), server.tokens()), server.process().pid());

            assertThat(idle.opened()).isEqualTo(200);
            assertThat(idle.failed()).isZero();
            assertThat(idle.disconnectsWhileHeld()).isZero();
            assertThat(idle.heapBefore()).isPositive();
            assertThat(idle.rssAfter()).isPositive();
        }
    }

    @Test
    void profile_summarisesARecording() throws Exception {
        Path recording = Files.createTempFile("overseer-bench-smoke", ".jfr");
        try {
            try (var jfr = new jdk.jfr.Recording()) {
                jfr.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(10));
                jfr.start();
                long until = System.nanoTime() + Duration.ofMillis(300).toNanos();
                double sink = 0;
                while (System.nanoTime() < until) {
                    sink += Math.sqrt(sink + 1);
                }
                assertThat(sink).isPositive();
                jfr.stop();
                jfr.dump(recording);
            }
            ProfileSummary.Summary summary = ProfileSummary.of(recording, 5, null, null);
            assertThat(summary.samples()).isPositive();
            assertThat(summary.self()).isNotEmpty();
        } finally {
            Files.deleteIfExists(recording);
        }
    }
}
