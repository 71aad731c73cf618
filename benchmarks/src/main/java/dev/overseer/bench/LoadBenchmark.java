package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The {@code load} benchmark: the echo server, then Overseer, each in its own JVM, driven by the same
 * WebSocket client with the same number of connections for the same time. With several rounds (echo,
 * Overseer, echo, Overseer, ...) the reported side is each server's median round by frames/s, which
 * damps what other work on a shared machine does to a single round.
 */
final class LoadBenchmark {
    /** What to run. */
    record Config(int connections, WarmUp warmUp, Duration duration, int clientThreads, Servers.Launch launch,
            boolean runEcho, boolean runOverseer, int rounds) {
        Config {
            if (rounds < 1) {
                throw new IllegalArgumentException("at least one round");
            }
        }
    }

    /** What was measured, every round; a side's list is empty when it was not run. */
    record Outcome(Machine machine, Config config, List<WsLoad.Result> echoRounds, List<WsLoad.Result> overseerRounds,
            List<String> overseerWarnings, ProfileSummary.Summary profile) {
        /** The echo round with the median frames/s, or null. */
        WsLoad.Result echo() {
            return median(echoRounds);
        }

        /** The Overseer round with the median frames/s, or null. */
        WsLoad.Result overseer() {
            return median(overseerRounds);
        }

        private static WsLoad.Result median(List<WsLoad.Result> rounds) {
            if (rounds.isEmpty()) {
                return null;
            }
            List<WsLoad.Result> sorted = new ArrayList<>(rounds);
            sorted.sort(Comparator.comparingDouble(WsLoad.Result::framesPerSecond));
            return sorted.get((sorted.size() - 1) / 2);
        }

        double ratio() {
            WsLoad.Result echo = echo();
            WsLoad.Result overseer = overseer();
            return echo == null || overseer == null || echo.framesPerSecond() == 0 ? Double.NaN
                    : overseer.framesPerSecond() / echo.framesPerSecond();
        }

        /** Errors of every round of both servers. */
        long errors() {
            return echoRounds.stream().mapToLong(round -> round.stats().errorCount()).sum()
                    + overseerRounds.stream().mapToLong(round -> round.stats().errorCount()).sum();
        }

        ObjectNode toJson() {
            ObjectNode json = Json.object().put("benchmark", "load");
            machine.writeTo(json);
            ObjectNode settings = json.putObject("settings");
            settings.put("connections", config.connections());
            settings.put("warmup", config.warmUp().toString());
            settings.put("duration_s", config.duration().toMillis() / 1e3);
            settings.put("rounds", config.rounds());
            settings.put("client_threads", config.clientThreads());
            settings.putPOJO("server_jvm_args", config.launch().jvmArgs());
            settings.put("database", config.launch().postgres() ? "postgresql (embedded, --postgres)" : "h2 (embedded)");
            settings.put("client", "dev.overseer.bench.WsConnection (NIO, one selector thread per client thread)");
            if (echo() != null) {
                json.set("echo", Report.load(echo(), true));
            }
            if (overseer() != null) {
                ObjectNode side = Report.load(overseer(), false);
                side.putPOJO("server_warnings", overseerWarnings);
                json.set("overseer", side);
            }
            json.put("ratio", Report.round3(ratio()));
            if (config.rounds() > 1) {
                ArrayNode rounds = json.putArray("rounds");
                for (int i = 0; i < config.rounds(); i++) {
                    ObjectNode round = rounds.addObject().put("round", i + 1);
                    if (i < echoRounds.size()) {
                        round.set("echo", Report.load(echoRounds.get(i), true));
                    }
                    if (i < overseerRounds.size()) {
                        round.set("overseer", Report.load(overseerRounds.get(i), false));
                    }
                }
            }
            if (profile != null) {
                json.set("profile", profile.toJson());
            }
            return json;
        }

        void print(PrintStream out) {
            out.println();
            out.println("load: " + config.connections() + " connections, warm-up " + config.warmUp() + ", " + config.duration().toMillis() / 1e3 + " s measured, " + config.rounds()
                    + " round(s); " + machine.line());
            Report.Table table = new Report.Table("server", "frames/s", "runs/s", "frames/run", "p50 ms", "p90 ms",
                    "p99 ms", "max ms", "errors", "server CPU", "client CPU", "other CPU");
            for (int i = 0; i < config.rounds(); i++) {
                String suffix = config.rounds() == 1 ? "" : " #" + (i + 1);
                if (i < echoRounds.size()) {
                    echoRow(table, "echo" + suffix, echoRounds.get(i));
                }
                if (i < overseerRounds.size()) {
                    overseerRow(table, "overseer" + suffix, overseerRounds.get(i));
                }
            }
            if (config.rounds() > 1) {
                if (echo() != null) {
                    echoRow(table, "echo (median)", echo());
                }
                if (overseer() != null) {
                    overseerRow(table, "overseer (median)", overseer());
                }
            }
            table.print(out);
            if (echo() != null && overseer() != null) {
                out.printf("ratio (overseer frames/s / echo frames/s): %.3f%n", ratio());
            }
            for (List<WsLoad.Result> side : List.of(echoRounds, overseerRounds)) {
                for (WsLoad.Result result : side) {
                    if (!result.stats().errors.isEmpty()) {
                        out.println((side == echoRounds ? "echo" : "overseer") + " errors: " + result.stats().errors);
                    }
                }
            }
            if (overseer() != null) {
                out.println("Overseer CPU by thread (cores, median round): " + Report.threadCores(overseer().cpu()));
            }
            if (overseerWarnings != null && !overseerWarnings.isEmpty()) {
                out.println("Overseer logged warnings:");
                overseerWarnings.forEach(line -> out.println("  " + line));
            }
            if (profile != null) {
                profile.print(out, "Overseer profile (JFR, measured window of round 1 only)");
            }
        }

        private static void echoRow(Report.Table table, String name, WsLoad.Result echo) {
            LoadStats.Percentiles rt = echo.stats().percentiles();
            table.row(name, echo.framesPerSecond(), "-", 1.0, rt.p50(), rt.p90(), rt.p99(), rt.max(),
                    echo.stats().errorCount(), echo.cpu().server(), echo.cpu().client(), echo.cpu().other());
        }

        private static void overseerRow(Report.Table table, String name, WsLoad.Result overseer) {
            LoadStats.Percentiles latency = overseer.stats().percentiles();
            table.row(name, overseer.framesPerSecond(), overseer.runsPerSecond(), overseer.framesPerRun(),
                    latency.p50(), latency.p90(), latency.p99(), latency.max(), overseer.stats().errorCount(),
                    overseer.cpu().server(), overseer.cpu().client(), overseer.cpu().other());
        }
    }

    private LoadBenchmark() {
    }

    static Outcome run(Config config) throws IOException, InterruptedException {
        Machine machine = Machine.describe();
        List<WsLoad.Result> echoRounds = new ArrayList<>();
        List<WsLoad.Result> overseerRounds = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        ProfileSummary.Summary profile = null;
        for (int round = 0; round < config.rounds(); round++) {
            if (config.runEcho()) {
                echoRounds.add(runEcho(config));
            }
            if (config.runOverseer()) {
                // Only the first round is recorded: one recording, one window.
                Servers.Launch launch = round == 0 ? config.launch() : config.launch().withoutJfr();
                WsLoad.Result result = runOverseer(config, launch, warnings);
                overseerRounds.add(result);
                if (launch.jfr() != null) {
                    profile = ProfileSummary.of(launch.jfr(), 25, result.from(), result.to());
                }
            }
        }
        return new Outcome(machine, config, echoRounds, overseerRounds, warnings, profile);
    }

    private static WsLoad.Result runEcho(Config config) throws IOException, InterruptedException {
        ServerProcess server = Servers.echo(config.launch());
        try {
            return WsLoad.run(settings(config, WsLoad.Mode.ECHO, server.address(), i -> Map.of()), server.pid());
        } finally {
            server.close();
            server.deleteFiles();
        }
    }

    private static WsLoad.Result runOverseer(Config config, Servers.Launch launch, List<String> warnings)
            throws IOException, InterruptedException {
        try (Servers.Overseer server = Servers.overseer(launch)) {
            Tokens tokens = server.tokens();
            String[] bearer = new String[config.connections()];
            for (int i = 0; i < bearer.length; i++) {
                bearer[i] = "Bearer " + tokens.mint("bench-ws-" + i);
            }
            WsLoad.Result result = WsLoad.run(settings(config, WsLoad.Mode.OVERSEER, server.process().address(),
                    i -> Map.of("Authorization", bearer[i], "Sec-WebSocket-Protocol", "overseer.v1")),
                    server.process().pid());
            server.process().stop(Duration.ofSeconds(30));
            warnings.addAll(server.process().warnings());
            return result;
        }
    }

    private static WsLoad.Settings settings(Config config, WsLoad.Mode mode, InetSocketAddress address,
            IntFunction<Map<String, String>> headers) {
        return new WsLoad.Settings(mode, address, EchoServer.PATH, config.connections(), config.warmUp(),
                config.duration(), config.clientThreads(), headers, false);
    }
}
