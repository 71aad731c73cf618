package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code http}: the same runs through {@code POST /api/threads/{id}/runs?wait=true}, then (on the same
 * server) through the WebSocket, to compare the two transports over one core.
 */
@Command(name = "http", mixinStandardHelpOptions = true,
        description = "Runs \"What is 6*7?\" through POST /api/threads/{id}/runs?wait=true (one thread and one "
                + "keep-alive connection per client loop), then through the WebSocket on the same server.")
final class HttpCommand implements Callable<Integer> {
    @Mixin
    BenchMain.LoadOptions load;

    @Mixin
    BenchMain.ServerOptions servers;

    @Option(names = "--no-websocket", description = "Skip the WebSocket comparison.")
    boolean noWebSocket;

    @Override
    public Integer call() throws Exception {
        Machine machine = Machine.describe();
        WsLoad.Result http;
        WsLoad.Result ws = null;
        try (Servers.Overseer server = Servers.overseer(servers.launch())) {
            InetSocketAddress address = server.process().address();
            Tokens tokens = server.tokens();
            http = HttpLoad.run(new HttpLoad.Settings(address, load.connections, load.warmup(), load.duration(),
                    tokens, "bench-http-"), server.process().pid());
            if (!noWebSocket) {
                String[] bearer = new String[load.connections];
                for (int i = 0; i < bearer.length; i++) {
                    bearer[i] = "Bearer " + tokens.mint("bench-ws-" + i);
                }
                ws = WsLoad.run(new WsLoad.Settings(WsLoad.Mode.OVERSEER, address, "/ws", load.connections,
                        load.warmup(), load.duration(), servers.clientThreads,
                        i -> Map.of("Authorization", bearer[i])), server.process().pid());
            }
            server.process().stop(Duration.ofSeconds(30));
        }
        System.out.println();
        System.out.println("http: " + load.connections + " client loops, " + load.warmupSeconds + " s warm-up, "
                + load.durationSeconds + " s measured; " + machine.line());
        Report.Table table = new Report.Table("path", "runs/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors",
                "server CPU", "client CPU", "other CPU");
        row(table, "POST runs?wait=true", http);
        if (ws != null) {
            row(table, "WebSocket start_agent", ws);
        }
        table.print(System.out);
        if (ws != null) {
            System.out.printf("http runs/s / websocket runs/s: %.3f%n", http.runsPerSecond() / ws.runsPerSecond());
        }
        for (WsLoad.Result result : new WsLoad.Result[] {http, ws}) {
            if (result != null && !result.stats().errors.isEmpty()) {
                System.out.println((result == http ? "http" : "websocket") + " errors: " + result.stats().errors);
            }
        }
        if (servers.json != null) {
            ObjectNode json = Json.object().put("benchmark", "http");
            machine.writeTo(json);
            json.putObject("settings").put("connections", load.connections).put("warmup_s", load.warmupSeconds)
                    .put("duration_s", load.durationSeconds);
            json.set("http", Report.load(http, false));
            if (ws != null) {
                json.set("websocket", Report.load(ws, false));
                json.put("http_vs_websocket_runs", Report.round3(http.runsPerSecond() / ws.runsPerSecond()));
            }
            Report.writeJson(servers.json, json);
            System.out.println("wrote " + servers.json);
        }
        return 0;
    }

    private static void row(Report.Table table, String name, WsLoad.Result result) {
        LoadStats.Percentiles latency = result.stats().percentiles();
        table.row(name, result.runsPerSecond(), latency.p50(), latency.p90(), latency.p99(), latency.max(),
                result.stats().errorCount(), result.cpu().server(), result.cpu().client(), result.cpu().other());
    }
}
