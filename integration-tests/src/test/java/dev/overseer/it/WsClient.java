package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * A real WebSocket client (the JDK's) that collects every text frame the server sends. Each frame and the close code
 * are checked against {@code /asyncapi.json} ({@link AsyncApiFrames}) as they arrive; the first that breaks it fails the
 * next read of a frame and {@link #close()}.
 */
public final class WsClient implements AutoCloseable {
    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    /** The first frame (or close code) the server sent that breaks the AsyncAPI document. */
    private final AtomicReference<String> undocumented = new AtomicReference<>();
    private final WebSocket socket;

    private WsClient(WebSocket.Builder builder, URI uri) {
        this.socket = builder.buildAsync(uri, new Listener()).join();
    }

    /** Connects with the token in the Authorization header. */
    public static WsClient connect(TestServer server, String token) {
        return new WsClient(HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .connectTimeout(Duration.ofSeconds(5)), server.ws());
    }

    /** Connects to any server's {@code /ws} (a node in a child process) with the token in the Authorization header. */
    public static WsClient connect(URI ws, String token) {
        return new WsClient(HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .connectTimeout(Duration.ofSeconds(5)), ws);
    }

    /** Connects with the token in the Authorization header and one more handshake header (a traceparent, say). */
    public static WsClient connect(TestServer server, String token, String header, String value) {
        return new WsClient(HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + token).header(header, value)
                .connectTimeout(Duration.ofSeconds(5)), server.ws());
    }

    /** Connects as {@code user} and reads the {@code connection_established} frame, which must name the user. */
    public static WsClient established(TestServer server, String user) {
        WsClient client = connect(server, server.token(user));
        JsonNode hello = client.next();
        assertThat(hello.path("type").asText()).isEqualTo("connection_established");
        assertThat(hello.path("user_id").asText()).isEqualTo(user);
        return client;
    }

    /** Connects the way browsers do: the token as a {@code bearer.<jwt>} subprotocol. */
    public static WsClient connectWithSubprotocol(TestServer server, String token) {
        return new WsClient(HTTP.newWebSocketBuilder().subprotocols("overseer.v1", "bearer." + token)
                .connectTimeout(Duration.ofSeconds(5)), server.ws());
    }

    public WebSocket socket() {
        return socket;
    }

    public void send(String json) {
        socket.sendText(json, true).join();
    }

    public void send(JsonNode json) {
        send(json.toString());
    }

    /** The next frame, failing after the timeout. */
    public JsonNode next(Duration timeout) {
        assertDocumented();
        try {
            JsonNode frame = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == null) {
                throw new AssertionError("no frame within " + timeout);
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public JsonNode next() {
        return next(Duration.ofSeconds(10));
    }

    /** The next frame of this type, skipping (and returning in {@code skipped}) any others. */
    public JsonNode nextOfType(String type, List<JsonNode> skipped) {
        while (true) {
            JsonNode frame = next();
            if (frame.path("type").asText().equals(type)) {
                return frame;
            }
            skipped.add(frame);
        }
    }

    public JsonNode nextOfType(String type) {
        return nextOfType(type, new ArrayList<>());
    }

    /** Every frame up to and including the first that matches. */
    public List<JsonNode> until(Predicate<JsonNode> last) {
        List<JsonNode> received = new ArrayList<>();
        while (true) {
            JsonNode frame = next();
            received.add(frame);
            if (last.test(frame)) {
                return received;
            }
        }
    }

    /**
     * Subscribes to a thread and returns once the server has handled it: frames of a connection are handled in
     * order, so the pong that answers the ping sent after it means the subscription is in place.
     */
    public void subscribe(String threadId, String requestId) {
        send(Frames.subscribe(threadId, requestId));
        send(Frames.ping());
        assertThat(until(frame -> frame.path("type").asText().equals("pong"))).as("answers to subscribe")
                .noneMatch(frame -> frame.path("type").asText().equals("error"));
    }

    /** Every frame of one run up to its terminal event. */
    public List<JsonNode> runEvents(String runId) {
        List<JsonNode> events = new ArrayList<>();
        while (true) {
            JsonNode frame = next();
            if (runId.equals(frame.path("run_id").asText()) && frame.has("seq")) {
                events.add(frame);
                if (isTerminal(frame)) {
                    return events;
                }
            }
        }
    }

    public static boolean isTerminal(JsonNode frame) {
        String type = frame.path("type").asText();
        return type.equals("run_completed") || type.equals("run_failed") || type.equals("run_cancelled");
    }

    /** Frames already received and not yet read. */
    public List<JsonNode> drain() {
        List<JsonNode> rest = new ArrayList<>();
        frames.drainTo(rest);
        assertDocumented();
        return rest;
    }

    /** Fails when a frame or the close code the server sent so far breaks {@code /asyncapi.json}. */
    public void assertDocumented() {
        String violation = undocumented.get();
        if (violation != null) {
            throw new AssertionError(violation);
        }
    }

    public CompletableFuture<Integer> closeCode() {
        return closeCode;
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").exceptionally(e -> null);
        }
        socket.abort();
        assertDocumented();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode frame = JSON.readTree(partial.toString());
                    String violation = AsyncApiFrames.serverFrameViolation(frame);
                    if (violation != null) {
                        undocumented.compareAndSet(null, violation);
                    }
                    frames.add(frame);
                } catch (Exception e) {
                    throw new AssertionError("the server sent a frame that is not JSON: " + partial, e);
                } finally {
                    partial.setLength(0);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            String violation = AsyncApiFrames.closeCodeViolation(statusCode, reason);
            if (violation != null) {
                undocumented.compareAndSet(null, violation);
            }
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.completeExceptionally(error);
        }
    }
}
