package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.it.Frames;
import dev.overseer.it.TestServer;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §2/§5: a client message larger than {@code OVERSEER_WS_MAX_MESSAGE_BYTES} closes with 1009, in one frame
 * or in fragments, at the header that takes it over the limit, before its payload is read (so the server's heap
 * never holds it); a binary frame closes with 1003. Swept over sizes with the default limit and a 4096-byte one.
 * (WebSocketLimitsTest pins the exact-limit cases; this is the sweep.)
 */
class FrameLimitTest {
    private static final int MIB = 1 << 20;
    private static final Duration CLOSE_WITHIN = Duration.ofSeconds(5);
    private static TestServer defaults;
    private static TestServer small;

    @BeforeAll
    static void startServers() {
        defaults = TestServer.start();
        small = TestServer.start(Map.of("OVERSEER_WS_MAX_MESSAGE_BYTES", "4096"));
    }

    @AfterAll
    static void stopServers() {
        defaults.close();
        small.close();
    }

    private final Map<String, Integer> observed = new LinkedHashMap<>();
    private final List<String> wrong = new ArrayList<>();

    @Test
    void oversizedMessages_closeWith1009_beforeTheirPayload_andBinaryFramesWith1003() {
        int cases = 0;
        long heapGrowth = 0;
        long oldGenPeakGrowth = 0;
        for (TestServer server : List.of(defaults, small)) {
            int limit = server == defaults ? 65_536 : 4_096;
            String tag = limit == 65_536 ? "64k" : "4k";
            List<Long> sizes = new ArrayList<>(List.of((long) limit + 1, 70_000L, (long) MIB, 16L * MIB));
            sizes.removeIf(size -> size <= limit);
            for (long size : sizes) {
                // Whole frames: the header announces the size and the payload follows (as far as the server lets it).
                expect(tag + ":single:" + size, server, 1009, session -> sendAnnounced(session, WireFrames.TEXT, true, size, true));
                // Header only: the close must come without a byte of the payload having been sent.
                expect(tag + ":header-only:" + size, server, 1009, session -> sendAnnounced(session, WireFrames.TEXT, true, size, false));
                // Fragments: a first fragment under the limit, then a continuation whose header takes it over.
                expect(tag + ":fragmented:" + size, server, 1009, session -> {
                    int first = limit / 2;
                    session.send(WireFrames.frame(WireFrames.TEXT, false, ("{\"type\":\"ping\",\"p\":\"" + "a".repeat(first - 20)).getBytes(StandardCharsets.UTF_8)));
                    sendAnnounced(session, WireFrames.CONTINUATION, true, size - first + 20, size <= MIB);
                });
                cases += 3;
            }
            // Many small fragments that add up to one byte over the limit.
            expect(tag + ":fragments-adding-up", server, 1009, session -> {
                int piece = limit / 8;
                session.send(WireFrames.frame(WireFrames.TEXT, false, "{\"type\":\"ping\",\"p\":\"".getBytes(StandardCharsets.UTF_8)));
                int sent = 20;
                while (sent + piece <= limit) {
                    session.send(WireFrames.frame(WireFrames.CONTINUATION, false, "a".repeat(piece).getBytes(StandardCharsets.UTF_8)));
                    sent += piece;
                }
                session.send(WireFrames.frame(WireFrames.CONTINUATION, true, ("a".repeat(limit - sent + 1)).getBytes(StandardCharsets.UTF_8)));
            });
            // A header announcing 2^40 bytes.
            expect(tag + ":2^40", server, 1009, session -> session.send(WireFrames.headerOnly(WireFrames.TEXT, true, 1L << 40)));
            // Binary frames, whatever their size, even inside the limit.
            expect(tag + ":binary-empty", server, 1003, session -> session.send(WireFrames.frame(WireFrames.BINARY, true, new byte[0])));
            expect(tag + ":binary-small", server, 1003, session -> session.send(WireFrames.frame(WireFrames.BINARY, true, new byte[] {1, 2, 3})));
            expect(tag + ":binary-2^40-header", server, 1003, session -> session.send(WireFrames.headerOnly(WireFrames.BINARY, true, 1L << 40)));
            cases += 5;

            // 16 MiB in one frame, the heap measured around it.
            System.gc();
            long before = usedHeap();
            resetPeaks();
            long oldBefore = oldGenPeak();
            expect(tag + ":heap-16MiB", server, 1009, session -> sendAnnounced(session, WireFrames.TEXT, true, 16L * MIB, true));
            long oldPeak = oldGenPeak();
            System.gc();
            heapGrowth = Math.max(heapGrowth, usedHeap() - before);
            oldGenPeakGrowth = Math.max(oldGenPeakGrowth, oldPeak - oldBefore);
            cases++;

            // The server still reads a message of exactly its limit.
            try (RawSession session = RawSession.open(server, server.token("after-" + tag))) {
                session.next(Duration.ofSeconds(5));
                String head = "{\"type\":\"ping\",\"pad\":\"";
                session.sendText(head + "p".repeat(limit - head.length() - 2) + "\"}");
                assertThat(Frames.type(session.next(Duration.ofSeconds(5)))).isEqualTo("pong");
            }
        }

        // Calibration: the same measure sees a 16 MiB array that this test allocates, so a zero above is real.
        System.gc();
        resetPeaks();
        long calibrationBefore = oldGenPeak();
        byte[] sixteen = new byte[16 * MIB];
        long calibration = oldGenPeak() - calibrationBefore + sixteen.length * 0L;

        Map<Integer, Integer> closes = new java.util.TreeMap<>();
        observed.values().forEach(code -> closes.merge(code, 1, Integer::sum));
        Figures.of("ws-frame-limit").put("cases", cases).put("closes", Figures.counts(closes))
                .put("wrong", wrong.size()).put("heap_growth_kib", heapGrowth / 1024)
                .put("old_gen_peak_growth_kib", oldGenPeakGrowth / 1024)
                .put("calibration_16mib_kib", calibration / 1024).print();

        assertThat(calibration).as("the old-generation measure sees a 16 MiB allocation").isGreaterThanOrEqualTo(16L * MIB);
        assertThat(wrong).as("cases closed otherwise than SPEC says").isEmpty();
        assertThat(heapGrowth).as("heap growth across the 16 MiB message").isLessThan(4L * MIB);
        assertThat(oldGenPeakGrowth).as("old-generation peak growth while a 16 MiB message was sent (a buffered "
                + "16 MiB array would be allocated there)").isLessThan(8L * MIB);
    }

    private interface Sending {
        void send(RawSession session);
    }

    private void expect(String name, TestServer server, int code, Sending sending) {
        try (RawSession session = RawSession.open(server, server.token("limit-" + Math.abs(name.hashCode())))) {
            session.next(Duration.ofSeconds(5));
            long started = System.nanoTime();
            try {
                sending.send(session);
            } catch (UncheckedIOException e) {
                // the server closed while the rest was still going out
            }
            int actual = session.closed().completeOnTimeout(0, CLOSE_WITHIN.toMillis(), TimeUnit.MILLISECONDS).join();
            observed.put(name, actual);
            if (actual != code) {
                wrong.add(name + ": expected " + code + ", got " + (actual == 0 ? "no close within " + CLOSE_WITHIN : actual)
                        + " after " + (System.nanoTime() - started) / 1_000_000 + " ms");
            }
        }
    }

    /** A frame header announcing {@code length} bytes, then (when {@code payload}) that many bytes, streamed. */
    private static void sendAnnounced(RawSession session, int opcode, boolean fin, long length, boolean payload) {
        session.send(WireFrames.headerOnly(opcode, fin, length));
        if (!payload) {
            return;
        }
        byte[] chunk = new byte[64 * 1024];
        byte[] mask = {0x11, 0x22, 0x33, 0x44};
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) ('a' ^ mask[i % 4]);
        }
        for (long sent = 0; sent < length; sent += chunk.length) {
            int n = (int) Math.min(chunk.length, length - sent);
            session.send(n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n));
            if (session.closed().isDone()) {
                return;
            }
        }
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static List<MemoryPoolMXBean> oldPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .filter(pool -> pool.getName().contains("Old") || pool.getName().contains("Tenured"))
                .toList();
    }

    private static void resetPeaks() {
        oldPools().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long oldGenPeak() {
        return oldPools().stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
    }
}
