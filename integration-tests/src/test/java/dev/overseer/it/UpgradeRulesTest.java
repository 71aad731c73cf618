package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code /ws} accepts besides a token (docs/websocket-protocol.md, "Upgrade rules"): GET upgrades only,
 * never an echo; {@code overseer.v1} among the subprotocols a client offers; a browser origin from
 * {@code OVERSEER_CORS_ORIGINS} when it is set.
 */
class UpgradeRulesTest {
    private static final String LISTED = "https://app.example.com";
    private static TestServer open;
    private static TestServer guarded;

    @BeforeAll
    static void startServers() {
        open = TestServer.start();
        guarded = TestServer.start(Map.of("OVERSEER_CORS_ORIGINS", LISTED));
    }

    @AfterAll
    static void stopServers() {
        open.close();
        guarded.close();
    }

    @Test
    void trace_isAProblem405_thatEchoesNothing() {
        Answer answer = send(open, "TRACE", Map.of("Authorization", "Bearer " + open.token("tracer"),
                "Cookie", "session=secret-cookie"));

        assertThat(answer.status()).isEqualTo(405);
        assertThat(answer.header("allow")).isEqualTo("GET");
        assertProblem(answer, "method_not_allowed");
        assertThat(answer.body()).doesNotContain("secret-cookie").doesNotContain("Bearer");
    }

    @Test
    void madeUpAndOtherMethods_areProblems405() {
        for (String method : new String[] {"FOO", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECTX"}) {
            Answer answer = send(open, method, Map.of("Authorization", "Bearer " + open.token("methods")));
            assertThat(answer.status()).as(method).isEqualTo(405);
            assertProblem(answer, "method_not_allowed");
        }
    }

    @Test
    void plainGetWithoutUpgrade_isAProblem426() {
        Answer answer = send(open, "GET", Map.of("Authorization", "Bearer " + open.token("plain-get")));

        assertThat(answer.status()).isEqualTo(426);
        assertThat(answer.header("upgrade")).isEqualToIgnoringCase("websocket");
        assertProblem(answer, "upgrade_required");
    }

    @Test
    void subprotocolsWithoutOverseerV1_areRefused400_evenWithAValidToken() {
        String token = open.token("subprotocols");
        for (String offered : new String[] {"bearer." + token, "overseer.v2, bearer." + token, "chat"}) {
            Answer answer = upgrade(open, Map.of("Sec-WebSocket-Protocol", offered));
            assertThat(answer.status()).as(offered).isEqualTo(400);
            assertProblem(answer, "unsupported_subprotocol");
        }
    }

    @Test
    void overseerV1WithABearer_isSelected_andNoSubprotocolWithAHeader_isAccepted() {
        String token = open.token("selected");
        Answer browser = upgrade(open, Map.of("Sec-WebSocket-Protocol", "overseer.v1, bearer." + token));
        assertThat(browser.status()).isEqualTo(101);
        assertThat(browser.header("sec-websocket-protocol")).isEqualTo("overseer.v1");

        Answer header = upgrade(open, Map.of("Authorization", "Bearer " + token));
        assertThat(header.status()).isEqualTo(101);
        assertThat(header.header("sec-websocket-protocol")).isNull();
    }

    @Test
    void twoBearerSubprotocols_areRefused401() {
        String token = open.token("two-bearers");
        Answer answer = upgrade(open, Map.of("Sec-WebSocket-Protocol",
                "overseer.v1, bearer." + token + ", bearer." + token));
        assertThat(answer.status()).isEqualTo(401);
        assertProblem(answer, "unauthorized");
    }

    @Test
    void withCorsOriginsSet_anOriginNotListed_isRefused403_aListedOneAndNoneAreAccepted() {
        String token = guarded.token("origins");
        Answer evil = upgrade(guarded, Map.of("Authorization", "Bearer " + token, "Origin", "https://evil.example"));
        assertThat(evil.status()).isEqualTo(403);
        assertProblem(evil, "origin_not_allowed");

        assertThat(upgrade(guarded, Map.of("Authorization", "Bearer " + token, "Origin", LISTED)).status())
                .isEqualTo(101);
        assertThat(upgrade(guarded, Map.of("Authorization", "Bearer " + token)).status()).isEqualTo(101);
    }

    @Test
    void withoutCorsOrigins_anyOriginMayUpgrade() {
        Answer answer = upgrade(open, Map.of("Authorization", "Bearer " + open.token("any-origin"),
                "Origin", "https://anywhere.example"));
        assertThat(answer.status()).isEqualTo(101);
    }

    private static void assertProblem(Answer answer, String code) {
        assertThat(answer.header("content-type")).startsWith("application/problem+json");
        JsonNode problem = answer.json();
        assertThat(problem.path("code").asText()).isEqualTo(code);
        assertThat(problem.path("status").asInt()).isEqualTo(answer.status());
        assertThat(problem.path("detail").asText()).isNotBlank();
    }

    /** The response head (and body, if not 101) to a request on /ws sent as written, over a plain socket. */
    private record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        JsonNode json() {
            try {
                return WsClient.JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    private static Answer upgrade(TestServer server, Map<String, String> headers) {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("Upgrade", "websocket");
        all.put("Connection", "Upgrade");
        all.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        all.put("Sec-WebSocket-Version", "13");
        all.putAll(headers);
        return send(server, "GET", all);
    }

    private static Answer send(TestServer server, String method, Map<String, String> headers) {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5_000);
            StringBuilder request = new StringBuilder(method + " /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
            if (!headers.containsKey("Upgrade")) {
                request.append("Connection: close\r\n");
            }
            socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            String[] lines = head.split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> responseHeaders = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                responseHeaders.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            String body = "";
            if (status != 101 && responseHeaders.containsKey("content-length")) {
                body = new String(in.readNBytes(Integer.parseInt(responseHeaders.get("content-length"))),
                        StandardCharsets.UTF_8);
            }
            return new Answer(status, responseHeaders, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed before the response head ended: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII).trim();
    }
}
