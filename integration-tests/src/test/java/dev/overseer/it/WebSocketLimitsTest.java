package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The frame limit of SPEC §2/§5 with the default {@code OVERSEER_WS_MAX_MESSAGE_BYTES} (65536) and a smaller
 * one: a message over it closes with 1009, in one frame or in fragments; one of exactly the limit is read.
 */
class WebSocketLimitsTest {
    private static final int DEFAULT_LIMIT = 65_536;
    private static TestServer defaults;
    private static TestServer small;

    @BeforeAll
    static void startServers() {
        defaults = TestServer.start();
        small = TestServer.start(Map.of("OVERSEER_WS_MAX_MESSAGE_BYTES", "1024"));
    }

    @AfterAll
    static void stopServers() {
        defaults.close();
        small.close();
    }

    @Test
    void messageOfExactlyTheDefaultLimit_isRead() {
        try (WsClient client = WsClient.connect(defaults, defaults.token("exact"))) {
            assertThat(client.next().path("max_message_bytes").asInt()).isEqualTo(DEFAULT_LIMIT);
            client.send(pingOfSize(DEFAULT_LIMIT));
            assertThat(client.nextOfType("pong").path("server_time").isTextual()).isTrue();
        }
    }

    @Test
    void oneByteOverTheDefaultLimit_closesWith1009() throws Exception {
        try (WsClient client = WsClient.connect(defaults, defaults.token("over-by-one"))) {
            client.next();
            client.send(pingOfSize(DEFAULT_LIMIT + 1));
            assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1009);
        }
    }

    @Test
    void seventyFragmentsOfOneKilobyte_closeWith1009() throws Exception {
        try (WsClient client = WsClient.connect(defaults, defaults.token("fragments"))) {
            client.next();
            String fragment = "x".repeat(1_000);
            for (int i = 0; i < 70 && !client.closeCode().isDone(); i++) {
                try {
                    client.socket().sendText(fragment, i == 69).get(5, TimeUnit.SECONDS);
                } catch (Exception e) {
                    break; // the server closed while fragments were still going out
                }
            }
            assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1009);
        }
    }

    @Test
    void frameLargerThanASmallerLimit_closesWith1009() throws Exception {
        try (WsClient client = WsClient.connect(small, small.token("big"))) {
            assertThat(client.next().path("max_message_bytes").asInt()).isEqualTo(1024);
            client.send("{\"type\":\"start_agent\",\"content\":\"" + "x".repeat(2048) + "\"}");
            assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1009);
        }
    }

    @Test
    void binaryFrame_closesWith1003() throws Exception {
        try (WsClient client = WsClient.connect(small, small.token("binary"))) {
            client.next();
            client.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
            assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1003);
        }
    }

    /** A {@code ping} frame padded with an ignored field to exactly {@code bytes} bytes. */
    private static String pingOfSize(int bytes) {
        String head = "{\"type\":\"ping\",\"pad\":\"";
        return head + "p".repeat(bytes - head.length() - 2) + "\"}";
    }
}
