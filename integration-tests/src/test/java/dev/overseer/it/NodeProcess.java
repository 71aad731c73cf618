package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

/**
 * One Overseer node in a child JVM ({@code dev.overseer.app.Main serve} on the test classpath), so that several
 * nodes can share one database and one can be killed with SIGKILL. Its output goes to {@code <name>.log} in the
 * data dir.
 */
public final class NodeProcess implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Process process;
    private final int port;
    private final Path log;

    private NodeProcess(String name, Process process, int port, Path log) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts a node on {@code databaseUrl} with the test secret; {@code env} adds to or overrides its variables. */
    public static NodeProcess start(String name, Path dataDir, String databaseUrl, Map<String, String> env) {
        return start(name, dataDir, databaseUrl, env, List.of());
    }

    /** The same with extra JVM flags, e.g. {@code -Dlogback.configurationFile=logback.xml} for the shipped logging. */
    public static NodeProcess start(String name, Path dataDir, String databaseUrl, Map<String, String> env,
            List<String> jvmArgs) {
        int port = freePort();
        Path log = dataDir.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1", "-Xmx256m"));
        command.addAll(jvmArgs);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.overseer.app.Main", "serve"));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> variables = new HashMap<>(Map.of(
                "OVERSEER_HOST", "127.0.0.1",
                "OVERSEER_PORT", Integer.toString(port),
                "OVERSEER_DATA_DIR", dataDir.toString(),
                "OVERSEER_DB_URL", databaseUrl,
                "OVERSEER_DB_USER", TestDatabase.user(),
                "OVERSEER_JWT_SECRET", TestServer.SECRET,
                "OVERSEER_SHUTDOWN_GRACE_SECONDS", "2",
                "OVERSEER_RUN_START_BURST", "1000"));
        variables.putAll(env);
        builder.environment().putAll(variables);
        try {
            return new NodeProcess(name, builder.start(), port, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + name, e);
        }
    }

    /** Waits until the node answers {@code /healthz}; fails at once if it exited. */
    public NodeProcess awaitHealthy() {
        await("node " + name + " answers /healthz").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .failFast("node " + name + " exited; see " + log, () -> !process.isAlive())
                .until(() -> send(null, "GET", "/healthz", null).statusCode() == 200);
        return this;
    }

    public int port() {
        return port;
    }

    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    public Process process() {
        return process;
    }

    /** What the node wrote to its standard output and error so far. */
    public String output() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public HttpResponse<String> send(String token, String method, String path, String json) throws Exception {
        return send(token, method, path, json, Map.of());
    }

    public HttpResponse<String> send(String token, String method, String path, String json, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A run's events as Server-Sent Events, read to the end of the stream. */
    public String eventStream(String token, String run) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/runs/" + run + "/events"))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream")
                .GET()
                .build();
        HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("SSE of %s on node %s: %s", run, name, response.body()).isEqualTo(200);
        return response.body();
    }

    /** The JSON body of a call that must succeed (2xx). */
    public JsonNode json(String token, String method, String path, String json) throws Exception {
        HttpResponse<String> response = send(token, method, path, json);
        assertThat(response.statusCode()).as("%s %s on node %s: %s", method, path, name, response.body()).isBetween(200, 299);
        return WsClient.JSON.readTree(response.body());
    }

    /** The run's stored events, as this node reads them. */
    public List<JsonNode> events(String token, String run) throws Exception {
        return StreamSupport.stream(json(token, "GET", "/api/runs/" + run + "/events", null).path("data").spliterator(),
                false).toList();
    }

    /** SIGKILL: nothing of the graceful stop runs. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("node %s died", name).isTrue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
