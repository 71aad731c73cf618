package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.overseer.it.Frames;
import dev.overseer.it.RawWebSocket;
import dev.overseer.it.TestServer;
import dev.overseer.ws.ConnectionRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §2/§5: the per-user connection limit (default 10) answers further upgrades with 429, and thousands of
 * connections of distinct users that open and close (with a close handshake, dropped before or after the first
 * frame, after a ping, refused for a bad token, or a thousand held open at once) leave no entry in the connection
 * registry, no file descriptor and no thread behind. The server runs in this JVM, so the registry is read directly; descriptors and threads are this process's, the clients' own
 * sockets included, and all of them must be gone at the end.
 */
class ConnectionFloodTest {
    private static final int LIMIT = 10;
    private static final int CYCLES = 3_000;
    private static final int HELD = 1_000;
    private static final int REFUSED = 500;
    private static final int CONCURRENCY = 32;
    /** Descriptors and platform threads that may come and go on their own (class loading, GC, pools at rest). */
    private static final int SLACK = 8;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of());
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void thousandsOfConnections_ofDistinctUsers_leaveNoRegistryEntryDescriptorOrThreadBehind() throws Exception {
        ConnectionRegistry registry = server.server().webSockets().connections();
        Map<String, Integer> outcomes = new TreeMap<>(Map.of());
        // Warm-up: the pools and classes every connection needs exist before the baseline is taken.
        flood("warmup", 100, outcomes);
        awaitEmpty(registry);
        outcomes.clear();
        long fdsBefore = descriptors();
        int threadsBefore = threads();

        // The per-user limit: the eleventh upgrade of one user is 429, and once one closes there is room again.
        List<RawWebSocket> ofOneUser = new ArrayList<>();
        String limited = server.token("flood-limited");
        for (int i = 0; i < LIMIT; i++) {
            ofOneUser.add(established(limited));
        }
        RawWebSocket beyond = RawWebSocket.connect(server, limited);
        int beyondStatus = beyond.status();
        beyond.close();
        ofOneUser.removeFirst().close();
        await("the dropped connection leaves the registry").atMost(Duration.ofSeconds(10))
                .until(() -> registry.size() == LIMIT - 1);
        ofOneUser.add(established(limited));
        ofOneUser.forEach(RawWebSocket::close);

        // Distinct users: open and close thousands of times, four ways.
        long started = System.nanoTime();
        flood("cycle", CYCLES, outcomes);
        long floodMs = (System.nanoTime() - started) / 1_000_000;

        // Upgrades with a bad token: refused before a socket exists.
        AtomicInteger refused = new AtomicInteger();
        try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY)) {
            List<Future<Integer>> attempts = new ArrayList<>();
            for (int i = 0; i < REFUSED; i++) {
                attempts.add(pool.submit(() -> {
                    try (RawWebSocket socket = RawWebSocket.connect(server, "not.a.token")) {
                        return socket.status();
                    }
                }));
            }
            for (Future<Integer> attempt : attempts) {
                if (attempt.get(30, TimeUnit.SECONDS) == 401) {
                    refused.incrementAndGet();
                }
            }
        }

        // A thousand users at once, then all dropped.
        List<RawWebSocket> held = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY)) {
            List<Future<RawWebSocket>> opening = new ArrayList<>();
            for (int i = 0; i < HELD; i++) {
                String token = server.token("flood-held-" + i);
                opening.add(pool.submit(() -> established(token)));
            }
            for (Future<RawWebSocket> socket : opening) {
                held.add(socket.get(60, TimeUnit.SECONDS));
            }
        }
        int heldRegistered = registry.size();
        int heldUsers = registry.users();
        long fdsHeld = descriptors();
        held.forEach(RawWebSocket::close);

        awaitEmpty(registry);
        long[] fdsAfter = {0};
        int[] threadsAfter = {0};
        await("descriptors and threads back to where they were").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(250)).until(() -> {
                    fdsAfter[0] = descriptors();
                    threadsAfter[0] = threads();
                    return fdsAfter[0] <= fdsBefore + SLACK && threadsAfter[0] <= threadsBefore + SLACK;
                });

        Figures.of("connection-flood").put("limit", LIMIT).put("beyond_limit", beyondStatus)
                .put("cycles", CYCLES).put("outcomes", Figures.counts(outcomes)).put("flood_ms", floodMs)
                .put("bad_token_401", refused.get() + "/" + REFUSED).put("held", heldRegistered)
                .put("held_users", heldUsers).put("fds_before", fdsBefore).put("fds_held", fdsHeld)
                .put("fds_after", fdsAfter[0]).put("threads_before", threadsBefore).put("threads_after", threadsAfter[0])
                .put("registry_after", registry.size() + "/" + registry.users()).print();
        assertThat(beyondStatus).as("the upgrade beyond the per-user limit").isEqualTo(429);
        assertThat(outcomes).as("every cycle's connection was established and closed as it meant to")
                .containsOnlyKeys("clean", "abrupt", "ping", "after-hello");
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(CYCLES);
        assertThat(refused).hasValue(REFUSED);
        assertThat(heldRegistered).isEqualTo(HELD);
        assertThat(heldUsers).isEqualTo(HELD);
    }

    /** {@code count} connections, each of its own user, closed one of four ways; tallies how each ended. */
    private static void flood(String prefix, int count, Map<String, Integer> outcomes) throws Exception {
        Map<String, Integer> tally = new ConcurrentHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY)) {
            List<Future<?>> cycles = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String token = server.token("flood-" + prefix + "-" + i);
                int way = i % 4;
                cycles.add(pool.submit(() -> tally.merge(cycle(token, way), 1, Integer::sum)));
            }
            for (Future<?> cycle : cycles) {
                cycle.get(60, TimeUnit.SECONDS);
            }
        }
        outcomes.putAll(tally);
    }

    private static String cycle(String token, int way) {
        if (way == 1) {
            // Dropped right after the upgrade, before the server's first frame is read.
            try (RawWebSocket socket = RawWebSocket.connect(server, token)) {
                return socket.status() == 101 ? "abrupt" : "abrupt-" + socket.status();
            }
        }
        try (RawWebSocket socket = established(token)) {
            switch (way) {
                case 0 -> {
                    socket.sendRaw(WireFrames.frame(RawWebSocket.CLOSE, true, new byte[] {0x03, (byte) 0xe8}));
                    RawWebSocket.Frame close = socket.readUntilClosed(Duration.ofSeconds(10));
                    return close != null && close.closeCode() == 1000 ? "clean" : "clean-unanswered";
                }
                case 2 -> {
                    socket.sendText(Frames.ping());
                    RawWebSocket.Frame pong = socket.read(Duration.ofSeconds(10));
                    return pong != null && pong.text().contains("\"pong\"") ? "ping" : "ping-unanswered";
                }
                default -> {
                    return "after-hello";
                }
            }
        }
    }

    /** An upgraded connection whose {@code connection_established} frame has arrived. */
    private static RawWebSocket established(String token) {
        RawWebSocket socket = RawWebSocket.connect(server, token);
        if (socket.status() != 101) {
            socket.close();
            throw new AssertionError("upgrade answered " + socket.status());
        }
        RawWebSocket.Frame hello = socket.read(Duration.ofSeconds(10));
        if (hello == null || !hello.text().contains("connection_established")) {
            socket.close();
            throw new AssertionError("no connection_established frame but " + (hello == null ? "nothing" : hello.text()));
        }
        return socket;
    }

    private static void awaitEmpty(ConnectionRegistry registry) {
        await("the registry holds no connection and no user").atMost(Duration.ofSeconds(20))
                .until(() -> registry.size() == 0 && registry.users() == 0);
    }

    private static long descriptors() {
        try (Stream<Path> open = Files.list(Path.of("/proc/self/fd"))) {
            return open.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }
}
