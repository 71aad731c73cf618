package dev.overseer.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code mcp}: what a tool call over stdio to an MCP server adds to a run (issue 16: at most 2 ms at the median over
 * the tool's own time). One client runs, one after another on one thread, runs that call the built-in
 * {@code calculator} and runs that call {@code everything__echo} of the reference server (a child of Overseer), in
 * alternation, over HTTP with {@code ?wait=true}; and, for the tool's own time, calls the same server's echo directly
 * with the MCP SDK over stdio.
 */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = "Measures the latency a stdio MCP tool call adds to a run, against the reference server "
                + "@modelcontextprotocol/server-everything.")
final class McpCommand implements Callable<Integer> {
    private static final String ECHO = "use everything__echo {\"message\":\"benchmark\"}";
    private static final String BUILT_IN = "What is 6*7?";

    @Option(names = "--server", defaultValue = "integration-tests/mcp/node_modules/.bin/mcp-server-everything",
            description = "The reference MCP server's executable (default: ${DEFAULT-VALUE}; "
                    + "`npm ci --prefix integration-tests/mcp` installs it).")
    Path serverExecutable;

    @Option(names = "--runs", defaultValue = "1000", description = "Measured runs of each kind (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "300", description = "Unmeasured runs of each kind first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Mixin
    BenchMain.ServerOptions servers;

    @Override
    public Integer call() throws Exception {
        Path server = serverExecutable.toAbsolutePath().normalize();
        if (!Files.isExecutable(server)) {
            throw new IOException(server + " is not there: run `npm ci --prefix integration-tests/mcp`");
        }
        Machine machine = Machine.describe();
        long[] direct = directCalls(server);
        Path agents = Files.createTempFile("overseer-bench-agents-", ".json");
        Files.writeString(agents, Json.object().<ObjectNode>set("mcp_servers", Json.object().set("everything",
                        Json.object().put("command", server.toString())))
                .<ObjectNode>set("agents", Json.mapper().createArrayNode().add(Json.object().put("name", "supervisor")
                        .<ObjectNode>set("tools", Json.mapper().createArrayNode().add("calculator")
                                .add("everything__echo"))))
                .toString());
        Servers.Launch base = servers.launch();
        Map<String, String> env = new HashMap<>(base.overseerEnv());
        env.put("OVERSEER_AGENTS_FILE", agents.toString());
        long[] builtIn = new long[runs];
        long[] mcp = new long[runs];
        try (Servers.Overseer overseer = Servers.overseer(new Servers.Launch(base.overseerJar(), base.jvmArgs(), env,
                base.jfr(), base.postgres()))) {
            Client client = new Client(overseer);
            client.awaitConnected();
            String thread = client.newThread();
            for (int i = 0; i < warmup; i++) {
                client.run(thread, BUILT_IN);
                client.run(thread, ECHO);
            }
            for (int i = 0; i < runs; i++) {
                builtIn[i] = client.run(thread, BUILT_IN);
                mcp[i] = client.run(thread, ECHO);
            }
            overseer.process().stop(Duration.ofSeconds(30));
        } finally {
            Files.deleteIfExists(agents);
        }
        double directMedian = median(direct);
        double builtInMedian = median(builtIn);
        double mcpMedian = median(mcp);
        System.out.println();
        System.out.println("mcp: " + runs + " runs of each kind, one at a time over HTTP ?wait=true, after " + warmup
                + " of each; " + machine.line());
        new Report.Table("measure", "p50 ms", "p90 ms", "p99 ms")
                .row("everything__echo called directly (MCP SDK, stdio)", ms(directMedian), ms(percentile(direct, 0.90)),
                        ms(percentile(direct, 0.99)))
                .row("run calling calculator (built-in)", ms(builtInMedian), ms(percentile(builtIn, 0.90)),
                        ms(percentile(builtIn, 0.99)))
                .row("run calling everything__echo (stdio)", ms(mcpMedian), ms(percentile(mcp, 0.90)),
                        ms(percentile(mcp, 0.99)))
                .print(System.out);
        double added = mcpMedian - builtInMedian;
        System.out.printf("an MCP call adds %.2f ms to a run at the median over a built-in call; the call itself "
                + "takes %.2f ms: Overseer adds %.2f ms over the tool's own time%n", ms(added), ms(directMedian),
                ms(added - directMedian));
        if (servers.json != null) {
            ObjectNode json = Json.object().put("benchmark", "mcp");
            machine.writeTo(json);
            json.put("runs", runs).put("warmup", warmup)
                    .put("direct_p50_ms", ms(directMedian))
                    .put("builtin_run_p50_ms", ms(builtInMedian))
                    .put("mcp_run_p50_ms", ms(mcpMedian))
                    .put("overhead_over_tool_p50_ms", ms(added - directMedian));
            Report.writeJson(servers.json, json);
        }
        return 0;
    }

    /** The tool's own time: echo called with the SDK's synchronous client over stdio, warmed up the same way. */
    private long[] directCalls(Path server) {
        StdioClientTransport transport = new StdioClientTransport(ServerParameters.builder(server.toString()).build(),
                McpJsonDefaults.getMapper());
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30)).build();
        try {
            client.initialize();
            McpSchema.CallToolRequest request = new McpSchema.CallToolRequest("echo", Map.of("message", "benchmark"));
            for (int i = 0; i < warmup; i++) {
                client.callTool(request);
            }
            long[] nanos = new long[runs];
            for (int i = 0; i < runs; i++) {
                long started = System.nanoTime();
                client.callTool(request);
                nanos[i] = System.nanoTime() - started;
            }
            return nanos;
        } finally {
            client.closeGracefully();
        }
    }

    private static double median(long[] nanos) {
        return percentile(nanos, 0.5);
    }

    private static double percentile(long[] nanos, double fraction) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(fraction * sorted.length))];
    }

    private static double ms(double nanos) {
        return Report.round3(nanos / 1e6);
    }

    /** One user's HTTP client: creates a thread, then starts runs on it and waits for each. */
    private static final class Client {
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        private final URI base;
        private final String token;

        Client(Servers.Overseer overseer) {
            this.base = URI.create("http://" + overseer.process().address().getHostString() + ":"
                    + overseer.process().address().getPort());
            this.token = overseer.tokens().mint("mcp-bench");
        }

        void awaitConnected() throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                JsonNode ready = Json.mapper().readTree(send("GET", "/readyz", null).body());
                if (ready.path("mcp").path("everything").asText().equals("connected")) {
                    return;
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException("the MCP server did not connect within 30 s");
        }

        String newThread() throws Exception {
            return Json.mapper().readTree(send("POST", "/api/threads", "{}").body()).path("id").asText();
        }

        /** Starts a run and waits for its end; returns the nanoseconds that took. */
        long run(String thread, String content) throws Exception {
            String body = Json.object().put("content", content).toString();
            long started = System.nanoTime();
            HttpResponse<String> response = send("POST", "/api/threads/" + thread + "/runs?wait=true", body);
            long took = System.nanoTime() - started;
            JsonNode run = Json.mapper().readTree(response.body());
            if (response.statusCode() != 200 || !run.path("status").asText().equals("completed")) {
                throw new IllegalStateException("a run ended " + response.statusCode() + " " + response.body());
            }
            return took;
        }

        private HttpResponse<String> send(String method, String path, String json) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token)
                    .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(json));
            if (json != null) {
                request.header("Content-Type", "application/json");
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
