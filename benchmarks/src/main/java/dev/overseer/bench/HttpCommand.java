package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code http}: the same runs through {@code POST /api/threads/{id}/runs?wait=true}, and through the
 * WebSocket on the same server, alternating (HTTP, WebSocket, HTTP, ...) so that neither path gets all of
 * the JIT's warm-up; each path reports its median round by runs/s.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "Runs \"What is 6*7?\" through POST /api/threads/{id}/runs?wait=true (one thread and one "
                + "keep-alive connection per client loop), alternating with the WebSocket on the same server.")
final class HttpCommand implements Callable<Integer> {
    @Mixin
    BenchMain.LoadOptions load;

    @Mixin
    BenchMain.ServerOptions servers;

    @Option(names = "--no-websocket", description = "Skip the WebSocket comparison.")
    boolean noWebSocket;

    @Option(names = "--ws-thread", defaultValue = "per-connection",
            description = "Where the WebSocket comparison starts its runs: per-connection (on the thread its first "
                    + "run created, the same work as the HTTP loops) or per-run (a new thread per run, as in "
                    + "`load`) (default: ${DEFAULT-VALUE}).")
    String wsThread;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds of HTTP then WebSocket (default: ${DEFAULT-VALUE}).")
    int rounds;

    private boolean reuseThread() {
        return switch (wsThread) {
            case "per-connection" -> true;
            case "per-run" -> false;
            default -> throw new IllegalArgumentException("--ws-thread is per-connection or per-run, not " + wsThread);
        };
    }

    @Override
    public Integer call() throws Exception {
        boolean reuseThread = reuseThread();
        Machine machine = Machine.describe();
        List<WsLoad.Result> https = new ArrayList<>();
        List<WsLoad.Result> sockets = new ArrayList<>();
        try (Servers.Overseer server = Servers.overseer(servers.launch())) {
            InetSocketAddress address = server.process().address();
            Tokens tokens = server.tokens();
            for (int round = 0; round < rounds; round++) {
                https.add(HttpLoad.run(new HttpLoad.Settings(address, load.connections, load.warmUp(),
                        load.duration(), tokens, "bench-http-" + round + "-"), server.process().pid()));
                if (!noWebSocket) {
                    String[] bearer = new String[load.connections];
                    for (int i = 0; i < bearer.length; i++) {
                        bearer[i] = "Bearer " + tokens.mint("bench-ws-" + round + "-" + i);
                    }
                    sockets.add(WsLoad.run(new WsLoad.Settings(WsLoad.Mode.OVERSEER, address, "/ws",
                            load.connections, load.warmUp(), load.duration(), servers.clientThreads,
                            i -> Map.of("Authorization", bearer[i]), reuseThread), server.process().pid()));
                }
            }
            server.process().stop(Duration.ofSeconds(30));
        }
        WsLoad.Result http = median(https);
        WsLoad.Result ws = sockets.isEmpty() ? null : median(sockets);
        System.out.println();
        System.out.println("http: " + load.connections + " client loops, warm-up " + load.warmUp() + ", "
                + load.durationSeconds + " s measured, " + rounds + " round(s), WebSocket runs on a thread "
                + (reuseThread ? "per connection" : "per run") + "; " + machine.line());
        Report.Table table = new Report.Table("path", "runs/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors",
                "server CPU", "client CPU", "other CPU");
        for (int i = 0; i < rounds; i++) {
            row(table, "POST runs?wait=true #" + (i + 1), https.get(i));
            if (i < sockets.size()) {
                row(table, "WebSocket start_agent #" + (i + 1), sockets.get(i));
            }
        }
        row(table, "POST runs?wait=true (median)", http);
        if (ws != null) {
            row(table, "WebSocket start_agent (median)", ws);
        }
        table.print(System.out);
        if (ws != null) {
            System.out.printf("http runs/s / websocket runs/s: %.3f%n", http.runsPerSecond() / ws.runsPerSecond());
        }
        for (List<WsLoad.Result> side : List.of(https, sockets)) {
            for (WsLoad.Result result : side) {
                if (!result.stats().errors.isEmpty()) {
                    System.out.println((side == https ? "http" : "websocket") + " errors: " + result.stats().errors);
                }
            }
        }
        System.out.println("Overseer CPU by thread (cores), http: " + Report.threadCores(http.cpu()));
        if (ws != null) {
            System.out.println("Overseer CPU by thread (cores), websocket: " + Report.threadCores(ws.cpu()));
        }
        if (servers.jfr != null) {
            ProfileSummary.of(servers.jfr, 25, https.get(0).from(), https.get(0).to())
                    .print(System.out, "Overseer profile (JFR), HTTP window of round 1");
        }
        if (servers.json != null) {
            ObjectNode json = Json.object().put("benchmark", "http");
            machine.writeTo(json);
            json.putObject("settings").put("connections", load.connections).put("warmup", load.warmUp().toString())
                    .put("duration_s", load.durationSeconds).put("rounds", rounds)
                    .put("websocket_thread", reuseThread ? "per-connection" : "per-run");
            json.set("http", Report.load(http, false));
            if (ws != null) {
                json.set("websocket", Report.load(ws, false));
                json.put("http_vs_websocket_runs", Report.round3(http.runsPerSecond() / ws.runsPerSecond()));
            }
            ArrayNode all = json.putArray("rounds");
            for (int i = 0; i < rounds; i++) {
                ObjectNode round = all.addObject().put("round", i + 1);
                round.set("http", Report.load(https.get(i), false));
                if (i < sockets.size()) {
                    round.set("websocket", Report.load(sockets.get(i), false));
                }
            }
            Report.writeJson(servers.json, json);
            System.out.println("wrote " + servers.json);
        }
        return 0;
    }

    private static WsLoad.Result median(List<WsLoad.Result> rounds) {
        List<WsLoad.Result> sorted = new ArrayList<>(rounds);
        sorted.sort(Comparator.comparingDouble(WsLoad.Result::runsPerSecond));
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static void row(Report.Table table, String name, WsLoad.Result result) {
        LoadStats.Percentiles latency = result.stats().percentiles();
        table.row(name, result.runsPerSecond(), latency.p50(), latency.p90(), latency.p99(), latency.max(),
                result.stats().errorCount(), result.cpu().server(), result.cpu().client(), result.cpu().other());
    }
}
