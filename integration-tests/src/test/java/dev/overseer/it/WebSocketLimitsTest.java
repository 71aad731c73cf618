package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WebSocketLimitsTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("OVERSEER_WS_MAX_MESSAGE_BYTES", "1024"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void frameLargerThanTheLimit_closesWith1009() throws Exception {
        try (WsClient client = WsClient.connect(server, server.token("big"))) {
            assertThat(client.next().path("max_message_bytes").asInt()).isEqualTo(1024);
            client.send("{\"type\":\"start_agent\",\"content\":\"" + "x".repeat(2048) + "\"}");
            assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1009);
        }
    }

    @Test
    void binaryFrame_closesWith1003() throws Exception {
        try (WsClient client = WsClient.connect(server, server.token("binary"))) {
            client.next();
            client.socket().sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
            assertThat(client.closeCode().get(5, TimeUnit.SECONDS)).isEqualTo(1003);
        }
    }
}
