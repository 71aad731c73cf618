package dev.overseer.it;

import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Heartbeats, the idle timeout and token expiry of open connections (SPEC §2, §5). */
class ConnectionSupervisionTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of(
                "OVERSEER_WS_HEARTBEAT_SECONDS", "1",
                "OVERSEER_WS_IDLE_TIMEOUT_SECONDS", "2",
                // A connection lives until its token's exp plus the allowed skew: none here, to close at exp.
                "OVERSEER_JWT_CLOCK_SKEW_SECONDS", "0"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void heartbeat_pingsEverySecond_andAClientThatOnlyAnswersPingsOutlivesTheIdleTimeout() throws Exception {
        PingCounter listener = new PingCounter();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer " + server.token("heartbeat"))
                .buildAsync(server.ws(), listener).get(5, TimeUnit.SECONDS);
        try {
            String helloText = listener.firstText.get(5, TimeUnit.SECONDS);
            AsyncApiFrames.assertValidServerFrame(helloText);
            JsonNode hello = WsClient.JSON.readTree(helloText);
            assertThat(hello.path("heartbeat_seconds").asInt()).isEqualTo(1);
            Instant connected = Instant.now();

            // The JDK client answers each ping with a pong by itself, and sends nothing else.
            await().atMost(Duration.ofSeconds(6)).until(() -> listener.pings.get() >= 3);
            assertThat(Duration.between(connected, Instant.now())).isGreaterThan(Duration.ofSeconds(2));
            assertThat(listener.closed).isNotDone();
            assertThat(socket.isInputClosed()).isFalse();
        } finally {
            socket.abort();
        }
    }

    @Test
    void silentClient_thatNeverAnswersPings_isClosedAfterTheIdleTimeout_andLeavesTheRegistry() {
        long connected = System.nanoTime();
        try (RawWebSocket silent = RawWebSocket.connect(server, server.token("silent"))) {
            assertThat(silent.status()).isEqualTo(101);
            RawWebSocket.Frame hello = silent.read(Duration.ofSeconds(5));
            assertThat(hello.opcode()).isEqualTo(RawWebSocket.TEXT);
            assertThat(hello.text()).contains("connection_established");
            assertThat(openConnectionsOf("silent")).isEqualTo(1);

            RawWebSocket.Frame close = silent.readUntilClosed(Duration.ofSeconds(8));
            Duration silentFor = Duration.ofNanos(System.nanoTime() - connected);
            assertThat(close).as("a close frame before the connection ends").isNotNull();
            assertThat(close.closeCode()).isEqualTo(1000);
            assertThat(silentFor).isBetween(Duration.ofSeconds(2), Duration.ofMillis(4_500));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnectionsOf("silent") == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> server.server().webSockets().connections().size() == 0);
    }

    @Test
    void tokenThatExpiresWhileConnected_closesTheConnectionWith1008AtTheExpiry() throws Exception {
        String token = server.token("expiring", Duration.ofSeconds(3));
        Instant expiresAt = expiryOf(token);
        try (WsClient client = WsClient.connect(server, token)) {
            assertThat(type(client.next())).isEqualTo("connection_established");
            client.send(Frames.ping());
            assertThat(type(client.next())).isEqualTo("pong");

            int code = client.closeCode().get(6, TimeUnit.SECONDS);
            Instant closedAt = Instant.now();
            assertThat(code).isEqualTo(1008);
            assertThat(closedAt).isBetween(expiresAt.minusMillis(100), expiresAt.plusMillis(1_500));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> openConnectionsOf("expiring") == 0);
    }

    private static long openConnectionsOf(String user) {
        return server.server().webSockets().connections().openContexts().stream()
                .filter(context -> context.userId().value().equals(user))
                .count();
    }

    private static Instant expiryOf(String jwt) throws Exception {
        byte[] claims = Base64.getUrlDecoder().decode(jwt.split("\\.")[1]);
        return Instant.ofEpochSecond(WsClient.JSON.readTree(new String(claims, StandardCharsets.UTF_8)).path("exp").asLong());
    }

    /** Counts pings; the JDK answers each with a pong on its own. */
    private static final class PingCounter implements WebSocket.Listener {
        final AtomicInteger pings = new AtomicInteger();
        final CompletableFuture<String> firstText = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                firstText.complete(text.toString());
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            pings.incrementAndGet();
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }
    }
}
