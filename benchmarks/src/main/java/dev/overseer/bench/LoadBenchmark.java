package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code load} benchmark: the echo server, then Overseer, each in its own JVM, driven by the same
 * WebSocket client with the same number of connections for the same time.
 */
final class LoadBenchmark {
    /** What to run. */
    record Config(int connections, Duration warmup, Duration duration, int clientThreads, Servers.Launch launch,
            boolean runEcho, boolean runOverseer) {
    }

    /** What was measured; either side is null when it was not run. */
    record Outcome(Machine machine, Config config, WsLoad.Result echo, WsLoad.Result overseer,
            List<String> overseerWarnings, ProfileSummary.Summary profile) {
        double ratio() {
            return echo == null || overseer == null || echo.framesPerSecond() == 0 ? Double.NaN
                    : overseer.framesPerSecond() / echo.framesPerSecond();
        }

        ObjectNode toJson() {
            ObjectNode json = Json.object().put("benchmark", "load");
            machine.writeTo(json);
            ObjectNode settings = json.putObject("settings");
            settings.put("connections", config.connections());
            settings.put("warmup_s", config.warmup().toMillis() / 1e3);
            settings.put("duration_s", config.duration().toMillis() / 1e3);
            settings.put("client_threads", config.clientThreads());
            settings.putPOJO("server_jvm_args", config.launch().jvmArgs());
            settings.put("client", "dev.overseer.bench.WsConnection (NIO, one selector thread per client thread)");
            if (echo != null) {
                json.set("echo", Report.load(echo, true));
            }
            if (overseer != null) {
                ObjectNode side = Report.load(overseer, false);
                side.putPOJO("server_warnings", overseerWarnings);
                json.set("overseer", side);
            }
            json.put("ratio", Report.round3(ratio()));
            if (profile != null) {
                json.set("profile", profile.toJson());
            }
            return json;
        }

        void print(PrintStream out) {
            out.println();
            out.println("load: " + config.connections() + " connections, " + config.warmup().toMillis() / 1e3
                    + " s warm-up, " + config.duration().toMillis() / 1e3 + " s measured; " + machine.line());
            Report.Table table = new Report.Table("server", "frames/s", "runs/s", "frames/run", "p50 ms", "p90 ms",
                    "p99 ms", "max ms", "errors", "server CPU", "client CPU");
            if (echo != null) {
                LoadStats.Percentiles rt = echo.stats().percentiles();
                table.row("echo", echo.framesPerSecond(), "-", 1.0, rt.p50(), rt.p90(), rt.p99(), rt.max(),
                        echo.stats().errorCount(), echo.serverCpuCores(), echo.clientCpuCores());
            }
            if (overseer != null) {
                LoadStats.Percentiles latency = overseer.stats().percentiles();
                table.row("overseer", overseer.framesPerSecond(), overseer.runsPerSecond(), overseer.framesPerRun(),
                        latency.p50(), latency.p90(), latency.p99(), latency.max(), overseer.stats().errorCount(),
                        overseer.serverCpuCores(), overseer.clientCpuCores());
            }
            table.print(out);
            if (echo != null && overseer != null) {
                out.printf("ratio (overseer frames/s / echo frames/s): %.3f%n", ratio());
            }
            for (WsLoad.Result result : new WsLoad.Result[] {echo, overseer}) {
                if (result != null && !result.stats().errors.isEmpty()) {
                    out.println((result == echo ? "echo" : "overseer") + " errors: " + result.stats().errors);
                }
            }
            if (overseerWarnings != null && !overseerWarnings.isEmpty()) {
                out.println("Overseer logged warnings:");
                overseerWarnings.forEach(line -> out.println("  " + line));
            }
            if (profile != null) {
                profile.print(out, "Overseer profile (JFR, measured window only)");
            }
        }
    }

    private LoadBenchmark() {
    }

    static Outcome run(Config config) throws IOException, InterruptedException {
        Machine machine = Machine.describe();
        WsLoad.Result echo = null;
        WsLoad.Result overseer = null;
        List<String> warnings = List.of();
        ProfileSummary.Summary profile = null;
        if (config.runEcho()) {
            ServerProcess server = Servers.echo(config.launch());
            try {
                echo = WsLoad.run(settings(config, WsLoad.Mode.ECHO, server.address(), i -> Map.of()), server.pid());
            } finally {
                server.close();
                server.deleteFiles();
            }
        }
        if (config.runOverseer()) {
            try (Servers.Overseer server = Servers.overseer(config.launch())) {
                Tokens tokens = server.tokens();
                String[] bearer = new String[config.connections()];
                for (int i = 0; i < bearer.length; i++) {
                    bearer[i] = "Bearer " + tokens.mint("bench-ws-" + i);
                }
                overseer = WsLoad.run(settings(config, WsLoad.Mode.OVERSEER, server.process().address(),
                        i -> Map.of("Authorization", bearer[i], "Sec-WebSocket-Protocol", "overseer.v1")),
                        server.process().pid());
                server.process().stop(Duration.ofSeconds(30));
                warnings = server.process().warnings();
            }
            if (config.launch().jfr() != null) {
                profile = ProfileSummary.of(config.launch().jfr(), 25, overseer.from(), overseer.to());
            }
        }
        return new Outcome(machine, config, echo, overseer, warnings, profile);
    }

    private static WsLoad.Settings settings(Config config, WsLoad.Mode mode, InetSocketAddress address,
            java.util.function.IntFunction<Map<String, String>> headers) {
        return new WsLoad.Settings(mode, address, EchoServer.PATH, config.connections(), config.warmup(),
                config.duration(), config.clientThreads(), headers);
    }
}
