package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.Frames;
import dev.overseer.it.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 6455 §8.1, SPEC §5: a text frame that is not UTF-8 closes its connection with 1007, and nothing else. Found
 * by {@code WsFuzzTest} on PostgreSQL: when the bad byte came early in a frame whose payload was still in the
 * server's buffer, the I/O thread called the frame's reader again and again, forever, and every connection that
 * thread served (new upgrades included) stalled. Each bad frame here is followed by upgrades that must be answered
 * and by the bad connection itself being closed.
 */
class InvalidUtf8Test {
    private static final Duration WITHIN = Duration.ofSeconds(5);
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void invalidUtf8_early_inALargeFrame_closes1007_andTheServerGoesOnServingEveryConnection() throws Exception {
        List<Long> upgradeMillis = new ArrayList<>();
        int closes = 0;
        // Bad bytes at the start, the middle and the end of frames from 200 bytes to 60 KB, in one write each.
        int[] sizes = {200, 4_000, 16_000, 30_000, 60_000};
        for (int size : sizes) {
            for (int position : new int[] {0, 10, size / 2, size - 1}) {
                byte[] payload = new byte[size];
                Arrays.fill(payload, (byte) 'a');
                byte[] start = "{\"type\":\"ping\",\"p\":\"".getBytes(StandardCharsets.UTF_8);
                System.arraycopy(start, 0, payload, 0, Math.min(start.length, size));
                payload[position] = (byte) 0xFF;
                try (RawSession bad = open()) {
                    bad.send(WireFrames.frame(WireFrames.TEXT, true, payload));
                    int code = bad.closed().get(WITHIN.toSeconds(), TimeUnit.SECONDS);
                    assertThat(code).as("close of a %d-byte frame with 0xFF at %d", size, position).isEqualTo(1007);
                    closes++;
                    // The server's end of the bad connection goes too.
                    assertThat(bad.socket().read(WITHIN)).as("the connection after the close frame").isNull();
                }
                // Both I/O threads go on serving: a few upgrades land on each.
                for (int i = 0; i < 4; i++) {
                    long begin = System.nanoTime();
                    try (RawSession good = open()) {
                        good.sendText(Frames.ping());
                        assertThat(good.nextOfType("pong", WITHIN, skipped -> { }).path("type").asText()).isEqualTo("pong");
                    }
                    upgradeMillis.add((System.nanoTime() - begin) / 1_000_000);
                }
            }
        }
        long slowest = upgradeMillis.stream().mapToLong(Long::longValue).max().orElseThrow();
        Figures.of("ws-invalid-utf8").put("bad_frames", closes).put("closes_1007", closes)
                .put("upgrades_after", upgradeMillis.size()).put("slowest_upgrade_and_ping_ms", slowest).print();
        assertThat(slowest).as("slowest upgrade and ping after a bad frame, ms").isLessThan(WITHIN.toMillis());
    }

    private static RawSession open() {
        RawSession session = RawSession.open(server, server.token("utf8-user"));
        JsonNode hello = session.next(WITHIN);
        assertThat(Frames.type(hello)).isEqualTo("connection_established");
        return session;
    }
}
