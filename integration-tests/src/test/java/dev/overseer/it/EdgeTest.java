package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What every response gets at the edge: a request id ({@code X-Request-Id}) and, for allowed origins, CORS. */
class EdgeTest {
    private static final String ALLOWED_ORIGIN = "https://app.example.com";

    private static TestServer server;
    private static Http http;
    private static Http anonymous;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("OVERSEER_CORS_ORIGINS", ALLOWED_ORIGIN));
        http = new Http(server, server.token("edge-alice"));
        anonymous = new Http(server, null);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void requestId_sentByTheClient_isEchoed_onSuccessesAndProblems() {
        assertThat(http.send(http.builder("/api/threads").header("X-Request-Id", "trace-0001").GET())
                .header("X-Request-Id")).isEqualTo("trace-0001");
        assertThat(http.send(http.builder("/api/threads/thr_missing").header("X-Request-Id", "trace-0002").GET())
                .header("X-Request-Id")).isEqualTo("trace-0002");
        assertThat(anonymous.send(anonymous.builder("/api/threads").header("X-Request-Id", "trace-0003").GET())
                .header("X-Request-Id")).isEqualTo("trace-0003");
        assertThat(anonymous.send(anonymous.builder("/healthz").header("X-Request-Id", "trace-0004").GET())
                .header("X-Request-Id")).isEqualTo("trace-0004");
    }

    @Test
    void requestId_absentOrUnusable_isGenerated_andDiffersPerRequest() {
        Http.Response first = http.get("/api/threads");
        Http.Response second = http.get("/api/threads");
        Http.Response unauthorized = anonymous.get("/api/threads");
        Http.Response notFound = anonymous.get("/nowhere");
        Http.Response tooLong = http.send(http.builder("/healthz").header("X-Request-Id", "x".repeat(129)).GET());

        for (Http.Response response : new Http.Response[] {first, second, unauthorized, notFound, tooLong}) {
            assertThat(response.header("X-Request-Id")).as("X-Request-Id of a %s", response.status()).matches("req_[0-9a-z]{26}");
        }
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(first.header("X-Request-Id")).isNotEqualTo(second.header("X-Request-Id"));
    }

    @Test
    void requestId_isOnTheWebSocketUpgradeResponse_acceptedOrRefused() {
        Upgrade accepted = upgrade(Map.of("Authorization", "Bearer " + server.token("edge-alice"),
                "X-Request-Id", "ws-trace-1"));
        assertThat(accepted.status()).isEqualTo(101);
        assertThat(accepted.headers().get("x-request-id")).isEqualTo("ws-trace-1");

        Upgrade generated = upgrade(Map.of("Authorization", "Bearer " + server.token("edge-alice")));
        assertThat(generated.status()).isEqualTo(101);
        assertThat(generated.headers().get("x-request-id")).matches("req_[0-9a-z]{26}");

        Upgrade refused = upgrade(Map.of("X-Request-Id", "ws-trace-2"));
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.headers().get("x-request-id")).isEqualTo("ws-trace-2");
        Upgrade refusedWithoutId = upgrade(Map.of("Authorization", "Bearer nonsense"));
        assertThat(refusedWithoutId.status()).isEqualTo(401);
        assertThat(refusedWithoutId.headers().get("x-request-id")).matches("req_[0-9a-z]{26}");
    }

    @Test
    void cors_preflightFromAnAllowedOrigin_answers204WithTheAllowedMethodsAndHeaders() {
        Http.Response preflight = anonymous.send(anonymous.builder("/api/threads")
                .header("Origin", ALLOWED_ORIGIN)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));

        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);
        assertThat(lowerCaseList(preflight.header("Access-Control-Allow-Methods")))
                .contains("get", "post", "patch", "delete");
        assertThat(lowerCaseList(preflight.header("Access-Control-Allow-Headers")))
                .contains("authorization", "content-type", "idempotency-key", "last-event-id");
        assertThat(preflight.raw().headers().allValues("Vary")).anySatisfy(vary -> assertThat(vary).contains("Origin"));
        assertThat(preflight.body()).isEmpty();
    }

    @Test
    void cors_simpleRequestsFromTheAllowedOrigin_getAllowOrigin_successesAndProblemsAlike() {
        Http.Response listed = http.send(http.builder("/api/threads").header("Origin", ALLOWED_ORIGIN).GET());
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);
        assertThat(lowerCaseList(listed.header("Access-Control-Expose-Headers"))).contains("x-request-id");

        Http.Response unauthorized = anonymous.send(anonymous.builder("/api/threads").header("Origin", ALLOWED_ORIGIN).GET());
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.header("Access-Control-Allow-Origin")).isEqualTo(ALLOWED_ORIGIN);
    }

    @Test
    void cors_anotherOrigin_getsNoCorsHeaders_andNoPreflight() {
        Http.Response simple = http.send(http.builder("/api/threads").header("Origin", "https://evil.example.com").GET());
        assertThat(simple.status()).isEqualTo(200);
        assertThat(simple.header("Access-Control-Allow-Origin")).isNull();

        Http.Response preflight = anonymous.send(anonymous.builder("/api/threads")
                .header("Origin", "https://evil.example.com")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(preflight.status()).isNotEqualTo(204);
        assertThat(preflight.header("Access-Control-Allow-Origin")).isNull();
        assertThat(preflight.header("Access-Control-Allow-Methods")).isNull();

        Http.Response noOrigin = http.get("/api/threads");
        assertThat(noOrigin.header("Access-Control-Allow-Origin")).isNull();
    }

    private static java.util.List<String> lowerCaseList(String header) {
        assertThat(header).isNotNull();
        return java.util.Arrays.stream(header.split(",")).map(value -> value.trim().toLowerCase(Locale.ROOT)).toList();
    }

    /** The status and headers (lower-case names) of an upgrade response. */
    private record Upgrade(int status, Map<String, String> headers) {
    }

    /** A WebSocket opening handshake over a plain socket, so the upgrade response's headers can be read. */
    private static Upgrade upgrade(Map<String, String> headers) {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            StringBuilder request = new StringBuilder("GET /ws HTTP/1.1\r\n")
                    .append("Host: 127.0.0.1:").append(server.port()).append("\r\n")
                    .append("Upgrade: websocket\r\n")
                    .append("Connection: Upgrade\r\n")
                    .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(new byte[16])).append("\r\n")
                    .append("Sec-WebSocket-Version: 13\r\n");
            headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
            OutputStream out = socket.getOutputStream();
            out.write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            String statusLine = in.readLine();
            assertThat(statusLine).as("status line").startsWith("HTTP/1.1 ");
            Map<String, String> received = new LinkedHashMap<>();
            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                int colon = line.indexOf(':');
                received.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
            return new Upgrade(Integer.parseInt(statusLine.split(" ")[1]), received);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
