package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §3: the same authenticator on both transports. Forged, expired, not-yet-valid and malformed tokens are
 * refused with 401 over HTTP ({@code Authorization}) and at the WebSocket upgrade ({@code Authorization} header
 * and {@code bearer.<jwt>} subprotocol) before any socket exists; tokens inside the 60 s clock skew are accepted.
 */
class AuthMatrixTest {
    private static final String SECRET = TestServer.SECRET;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static String claims(String sub, String more) {
        return "{\"sub\":" + sub + (more.isEmpty() ? "" : "," + more) + "}";
    }

    private static String valid(String user) {
        return ForgedTokens.hs256(SECRET, claims("\"" + user + "\"", "\"exp\":" + (now() + 3600)));
    }

    private static Map<String, String> refusedTokens() {
        long now = now();
        String exp = "\"exp\":" + (now + 3600);
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("alg-none", ForgedTokens.unsigned("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims("\"a1\"", exp)));
        tokens.put("alg-None", ForgedTokens.unsigned("{\"alg\":\"None\"}", claims("\"a1\"", exp)));
        tokens.put("alg-none-with-signature", ForgedTokens.unsigned("{\"alg\":\"none\"}", claims("\"a1\"", exp))
                + valid("a1").substring(valid("a1").lastIndexOf('.') + 1));
        tokens.put("wrong-secret", ForgedTokens.hs256("another-secret-that-is-also-long-enough-0123456789", claims("\"a2\"", exp)));
        tokens.put("alg-RS256-hmac-signed", ForgedTokens.sign("HmacSHA256", SECRET, "{\"alg\":\"RS256\"}", claims("\"a3\"", exp)));
        tokens.put("alg-ES256-hmac-signed", ForgedTokens.sign("HmacSHA256", SECRET, "{\"alg\":\"ES256\"}", claims("\"a3\"", exp)));
        tokens.put("missing-exp", ForgedTokens.hs256(SECRET, claims("\"a4\"", "\"iat\":" + now)));
        tokens.put("exp-null", ForgedTokens.hs256(SECRET, claims("\"a5\"", "\"exp\":null")));
        tokens.put("exp-string", ForgedTokens.hs256(SECRET, claims("\"a5\"", "\"exp\":\"" + (now + 3600) + "\"")));
        tokens.put("expired-90s", ForgedTokens.hs256(SECRET, claims("\"a6\"", "\"exp\":" + (now - 90))));
        tokens.put("expired-1h", ForgedTokens.hs256(SECRET, claims("\"a6\"", "\"exp\":" + (now - 3600))));
        tokens.put("nbf-in-90s", ForgedTokens.hs256(SECRET, claims("\"a7\"", exp + ",\"nbf\":" + (now + 90))));
        tokens.put("nbf-null", ForgedTokens.hs256(SECRET, claims("\"a7\"", exp + ",\"nbf\":null")));
        tokens.put("iat-in-10min", ForgedTokens.hs256(SECRET, claims("\"a7\"", exp + ",\"iat\":" + (now + 600))));
        tokens.put("sub-empty", ForgedTokens.hs256(SECRET, claims("\"\"", exp)));
        tokens.put("sub-blank", ForgedTokens.hs256(SECRET, claims("\"   \"", exp)));
        tokens.put("sub-129-chars", ForgedTokens.hs256(SECRET, claims("\"" + "u".repeat(129) + "\"", exp)));
        tokens.put("sub-10000-chars", ForgedTokens.hs256(SECRET, claims("\"" + "u".repeat(10_000) + "\"", exp)));
        tokens.put("sub-numeric", ForgedTokens.hs256(SECRET, claims("42", exp)));
        tokens.put("sub-null", ForgedTokens.hs256(SECRET, claims("null", exp)));
        tokens.put("sub-array", ForgedTokens.hs256(SECRET, claims("[\"a\"]", exp)));
        tokens.put("sub-control-chars", ForgedTokens.hs256(SECRET, claims("\"a\\u0000b\"", exp)));
        tokens.put("sub-missing", ForgedTokens.hs256(SECRET, "{" + exp + "}"));
        tokens.put("crit-unknown", ForgedTokens.sign("HmacSHA256", SECRET,
                "{\"alg\":\"HS256\",\"crit\":[\"x-unknown\"],\"x-unknown\":1}", claims("\"a8\"", exp)));
        String good = valid("a9");
        String[] parts = good.split("\\.");
        tokens.put("payload-swapped", parts[0] + "." + ForgedTokens.encode(claims("\"someone-else\"", exp)) + "." + parts[2]);
        tokens.put("signature-truncated", good.substring(0, good.length() - 3));
        tokens.put("payload-not-json", parts[0] + "." + ForgedTokens.encode("not json") + "." + parts[2]);
        tokens.put("two-parts", parts[0] + "." + parts[1]);
        tokens.put("four-parts", good + ".x");
        tokens.put("garbage", "abc");
        tokens.put("bad-base64", "!!!." + parts[1] + "." + parts[2]);
        return tokens;
    }

    record Outcome(String token, String transport, int status, String detail) {
    }

    @Test
    void everyForgedOrMalformedToken_isRefusedOnBothTransports_andTokensWithinTheSkewAreAccepted() {
        List<String> wrong = new ArrayList<>();
        int refused = 0;
        int checks = 0;
        for (Map.Entry<String, String> entry : refusedTokens().entrySet()) {
            String name = entry.getKey();
            String token = entry.getValue();
            Map<String, Integer> statuses = new LinkedHashMap<>();
            statuses.put("http", httpStatus("Authorization: Bearer " + token, "/api/threads", wrong, name));
            statuses.put("ws-header", upgradeStatus(List.of("Authorization: Bearer " + token)));
            if (token.matches("[A-Za-z0-9._~-]+")) {
                statuses.put("ws-subprotocol", upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer." + token)));
            }
            for (Map.Entry<String, Integer> status : statuses.entrySet()) {
                checks++;
                if (status.getValue() == 401) {
                    refused++;
                } else {
                    wrong.add(name + " over " + status.getKey() + " answered " + status.getValue() + " instead of 401");
                }
            }
        }

        // Tokens in the query string are never looked at; malformed Authorization and subprotocol values.
        String good = valid("query-user");
        Map<String, Integer> special = new LinkedHashMap<>();
        special.put("http ?token=", httpStatus(null, "/api/threads?token=" + good, wrong, "query"));
        special.put("http ?access_token=", httpStatus(null, "/api/threads?access_token=" + good, wrong, "query"));
        special.put("ws ?token=", upgradeStatus(List.of(), "/ws?token=" + good));
        special.put("ws ?access_token=", upgradeStatus(List.of(), "/ws?access_token=" + good));
        special.put("http Basic", httpStatus("Authorization: Basic " + Base64.getEncoder().encodeToString("a:b".getBytes(StandardCharsets.UTF_8)), "/api/threads", wrong, "basic"));
        special.put("http Bearer-without-token", httpStatus("Authorization: Bearer", "/api/threads", wrong, "bearer-empty"));
        special.put("http Bearer-two-tokens", httpStatus("Authorization: Bearer " + good + " " + good, "/api/threads", wrong, "two"));
        special.put("ws subprotocol bearer.", upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer.")));
        special.put("ws subprotocol bearer.garbage", upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer.garbage")));
        special.put("ws subprotocol two bearers", upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer." + good + ", bearer." + good)));
        special.put("ws subprotocol bearer without value separator", upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer" + good)));
        special.put("ws subprotocol Bearer. uppercase-expired", upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer."
                + ForgedTokens.hs256(SECRET, claims("\"x\"", "\"exp\":" + (now() - 3600))))));
        special.put("ws bad header beside a good subprotocol", upgradeStatus(List.of("Authorization: Bearer garbage",
                "Sec-WebSocket-Protocol: overseer.v1, bearer." + good)));
        special.put("ws no token", upgradeStatus(List.of()));
        for (Map.Entry<String, Integer> entry : special.entrySet()) {
            checks++;
            if (entry.getValue() == 401) {
                refused++;
            } else {
                wrong.add(entry.getKey() + " answered " + entry.getValue() + " instead of 401");
            }
        }
        // Offered without overseer.v1, the subprotocol is refused as unsupported (docs/websocket-protocol.md: 400).
        int withoutProtocol = upgradeStatus(List.of("Sec-WebSocket-Protocol: bearer." + good));
        checks++;
        if (withoutProtocol != 400) {
            wrong.add("bearer.<jwt> without overseer.v1 answered " + withoutProtocol + " instead of 400");
        } else {
            refused++;
        }
        assertThat(server.server().webSockets().connections().size()).as("sockets opened by refused upgrades").isZero();

        // Within the skew: accepted on every transport.
        long now = now();
        Map<String, String> accepted = new LinkedHashMap<>();
        accepted.put("expired-30s-ago", ForgedTokens.hs256(SECRET, claims("\"skew-1\"", "\"exp\":" + (now - 30))));
        accepted.put("nbf-in-30s", ForgedTokens.hs256(SECRET, claims("\"skew-2\"", "\"exp\":" + (now + 3600) + ",\"nbf\":" + (now + 30))));
        accepted.put("iat-in-30s", ForgedTokens.hs256(SECRET, claims("\"skew-3\"", "\"exp\":" + (now + 3600) + ",\"iat\":" + (now + 30))));
        accepted.put("plain", valid("plain-user"));
        accepted.put("sub-128-chars", ForgedTokens.hs256(SECRET, claims("\"" + "u".repeat(128) + "\"", "\"exp\":" + (now + 3600))));
        int acceptedCount = 0;
        for (Map.Entry<String, String> entry : accepted.entrySet()) {
            String token = entry.getValue();
            int http = httpStatus("Authorization: Bearer " + token, "/api/threads", new ArrayList<>(), entry.getKey());
            int header = upgradeStatus(List.of("Authorization: Bearer " + token));
            int subprotocol = upgradeStatus(List.of("Sec-WebSocket-Protocol: overseer.v1, bearer." + token));
            checks += 3;
            for (int status : new int[] {http == 200 ? 101 : http, header, subprotocol}) {
                if (status == 101) {
                    acceptedCount++;
                } else {
                    wrong.add(entry.getKey() + " (within the skew) was refused: http " + http + ", ws-header " + header
                            + ", ws-subprotocol " + subprotocol);
                    break;
                }
            }
        }

        Figures.of("auth-matrix").put("checks", checks).put("refused", refused).put("accepted", acceptedCount)
                .put("wrong", wrong.size()).print();
        assertThat(wrong).isEmpty();
    }

    /** The status of an authenticated GET; a 401 must be a problem with a detail. */
    private static int httpStatus(String authorization, String path, List<String> wrong, String name) {
        List<String> headers = new ArrayList<>();
        headers.add("GET " + path + " HTTP/1.1");
        headers.add("Host: 127.0.0.1");
        if (authorization != null) {
            headers.add(authorization);
        }
        headers.add("Connection: close");
        RawHttp.Response response = RawHttp.exchange(server.port(), String.join("\r\n", headers), null);
        if (response.status() == 401) {
            try {
                JsonNode problem = WsClient.JSON.readTree(response.body());
                if (!String.valueOf(response.header("Content-Type")).startsWith("application/problem+json")
                        || problem.path("detail").asText().isBlank()) {
                    wrong.add(name + ": 401 without a problem body: " + response.body());
                }
            } catch (IOException e) {
                wrong.add(name + ": 401 body is not JSON: " + response.body());
            }
        }
        return response.status();
    }

    private static int upgradeStatus(List<String> extra) {
        return upgradeStatus(extra, "/ws");
    }

    /** Sends a WebSocket upgrade and returns the status of its answer (101 when a socket now exists). */
    private static int upgradeStatus(List<String> extra, String path) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            socket.setSoTimeout(10_000);
            byte[] key = new byte[16];
            RANDOM.nextBytes(key);
            StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                    + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n");
            for (String header : extra) {
                request.append(header).append("\r\n");
            }
            socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = new BufferedInputStream(socket.getInputStream());
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int value = in.read(); value >= 0 && value != '\n'; value = in.read()) {
                line.write(value);
            }
            String status = line.toString(StandardCharsets.ISO_8859_1);
            return status.isEmpty() ? -1 : Integer.parseInt(status.split(" ", 3)[1]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
