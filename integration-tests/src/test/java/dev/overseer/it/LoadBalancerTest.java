package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * SPEC §7 through a real load balancer: Debian's nginx, round-robin in front of two nodes on one PostgreSQL, with
 * the WebSocket upgrade proxied by the configuration that ships, deploy/nginx.conf. A client whose connection drops mid-run
 * reconnects through nginx, lands on the other node, and resumes without losing or repeating an event.
 */
class LoadBalancerTest {
    private static final Path NGINX_CONF = Path.of("..", "deploy", "nginx.conf");
    private static final Pattern CONNECTIONS = Pattern.compile("(?m)^overseer_websocket_connections(?:\\{[^}]*\\})? ([0-9.]+)$");

    @Test
    void clientReconnectingThroughNginx_landsOnTheOtherNode_andResumesLosingNothing() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        Optional<Path> nginx = Stream.of("/usr/sbin/nginx", "/usr/bin/nginx").map(Path::of).filter(Files::isExecutable)
                .findFirst();
        assumeTrue(nginx.isPresent(), "SKIPPED: no nginx binary (/usr/sbin/nginx); install Debian's nginx "
                + "(apt-get install -y nginx, as .ci/run does) to run the load-balancer test");
        Path dataDir = Files.createTempDirectory("overseer-it-nginx-");
        String databaseUrl = TestDatabase.newDatabaseUrl(dataDir);
        String token = Jwts.signed(TestServer.SECRET, "balanced-user");
        try (NodeProcess a = NodeProcess.start("a", dataDir, databaseUrl, Map.of("OVERSEER_NODE_ID", "node_a"));
                NodeProcess b = NodeProcess.start("b", dataDir, databaseUrl, Map.of("OVERSEER_NODE_ID", "node_b"))) {
            a.awaitHealthy();
            b.awaitHealthy();
            int port = freePort();
            Process proxy = startNginx(nginx.get(), dataDir, port, a.port(), b.port());
            try {
                URI ws = URI.create("ws://127.0.0.1:" + port + "/ws");
                await("nginx proxies").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .failFast("nginx exited; see " + dataDir.resolve("nginx-error.log"), () -> !proxy.isAlive())
                        .until(() -> {
                            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                                return probe.isConnected();
                            }
                        });

                List<JsonNode> seen = new ArrayList<>();
                String run;
                NodeProcess first;
                WsClient before = WsClient.connect(ws, token);
                try {
                    assertThat(before.next().path("type").asText()).isEqualTo("connection_established");
                    first = connectedNode(a, b);
                    before.send("{\"type\":\"start_agent\",\"content\":\"wait 3 seconds\",\"request_id\":\"lb\"}");
                    run = before.nextOfType("run_accepted").path("run_id").asText();
                    String runId = run;
                    seen.addAll(before.until(frame -> frame.path("type").asText().equals("tool_executing")
                            && frame.path("run_id").asText().equals(runId)));
                } finally {
                    before.socket().abort(); // the connection drops underneath the client
                }
                List<JsonNode> live = seen.stream().filter(frame -> frame.has("seq")).toList();
                int lastSeq = live.get(live.size() - 1).path("seq").asInt();
                NodeProcess other = first == a ? b : a;
                await("the dropped connection is gone").atMost(Duration.ofSeconds(10))
                        .until(() -> connections(first) == 0);

                List<JsonNode> resumed;
                try (WsClient after = WsClient.connect(ws, token)) {
                    assertThat(after.next().path("type").asText()).isEqualTo("connection_established");
                    assertThat(connectedNode(a, b)).as("round-robin sends the reconnect to the other node").isSameAs(other);
                    after.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":" + lastSeq
                            + ",\"request_id\":\"again\"}");
                    resumed = after.runEvents(run);
                }
                List<JsonNode> assembled = new ArrayList<>(live);
                assembled.addAll(resumed);
                List<JsonNode> stored = other.events(token, run);
                assertThat(stored.get(stored.size() - 1).path("type").asText()).isEqualTo("run_completed");
                assertThat(assembled).as("events before the drop, then resumed on the other node")
                        .containsExactlyElementsOf(stored);
                System.out.println("load-balancer [" + TestDatabase.kind() + "]: nginx round-robin, first="
                        + (first == a ? "a" : "b") + ", reconnected to the other, events=" + stored.size()
                        + ", before_drop=" + live.size() + ", resumed=" + resumed.size() + ", lost_or_repeated=0");
            } finally {
                proxy.destroy();
                if (!proxy.waitFor(10, TimeUnit.SECONDS)) {
                    proxy.destroyForcibly();
                }
            }
        }
    }

    /** The node whose only WebSocket connection is open right now. */
    private static NodeProcess connectedNode(NodeProcess a, NodeProcess b) {
        return await("one node holds the connection").atMost(Duration.ofSeconds(5)).until(() -> {
            int onA = connections(a);
            int onB = connections(b);
            return onA + onB == 1 ? (onA == 1 ? a : b) : null;
        }, node -> node != null);
    }

    private static int connections(NodeProcess node) throws Exception {
        // The gauge appears with the node's first WebSocket connection.
        Matcher matcher = CONNECTIONS.matcher(node.send(null, "GET", "/metrics", null).body());
        return matcher.find() ? (int) Double.parseDouble(matcher.group(1)) : 0;
    }

    /**
     * nginx in the foreground with the configuration that ships, deploy/nginx.conf (an http-context file, as
     * compose mounts it into conf.d/): only its upstream servers and listen address are replaced, and it is checked
     * with {@code nginx -t} first. Its files are kept in {@code dir}.
     */
    private static Process startNginx(Path nginx, Path dir, int port, int a, int b) throws Exception {
        String shipped = Files.readString(NGINX_CONF);
        String site = replaceOnce(replaceOnce(replaceOnce(shipped,
                "server overseer-1:8080;", "server 127.0.0.1:" + a + ";"),
                "server overseer-2:8080;", "server 127.0.0.1:" + b + ";"),
                "listen 80;", "listen 127.0.0.1:" + port + ";");
        Files.writeString(dir.resolve("overseer.conf"), site);
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                daemon off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/nginx-error.log warn;
                events { worker_connections 256; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/nginx-body;
                    proxy_temp_path %1$s/nginx-proxy;
                    fastcgi_temp_path %1$s/nginx-fastcgi;
                    uwsgi_temp_path %1$s/nginx-uwsgi;
                    scgi_temp_path %1$s/nginx-scgi;
                    include %1$s/overseer.conf;
                }
                """.formatted(dir.toAbsolutePath()));
        // Run as root (CI), nginx's workers become nobody: they must be able to reach the files here.
        dir.toFile().setExecutable(true, false);
        String prefix = dir.toAbsolutePath().toString();
        Process test = new ProcessBuilder(nginx.toString(), "-t", "-p", prefix, "-c", conf.toString())
                .redirectErrorStream(true).start();
        String verdict = new String(test.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(test.waitFor()).as("nginx -t on deploy/nginx.conf:%n%s", verdict).isZero();
        return new ProcessBuilder(nginx.toString(), "-p", prefix, "-c", conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile())
                .start();
    }

    /** {@code text} with {@code target} replaced, which must occur exactly once (the shipped file changed otherwise). */
    private static String replaceOnce(String text, String target, String replacement) {
        int at = text.indexOf(target);
        assertThat(at).as("deploy/nginx.conf has `%s` once", target).isNotNegative();
        assertThat(text.indexOf(target, at + 1)).as("deploy/nginx.conf has `%s` once", target).isNegative();
        return text.substring(0, at) + replacement + text.substring(at + target.length());
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
