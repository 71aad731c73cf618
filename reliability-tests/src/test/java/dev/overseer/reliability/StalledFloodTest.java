package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.it.Http;
import dev.overseer.it.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md {@code OVERSEER_HTTP_READ_TIMEOUT_SECONDS} (ADR 0018), SPEC §6: hundreds of connections
 * that send part of a request (nothing, half a head, a head and part of a body) are closed (a stalled body with a
 * 408) within the read timeout plus slack, while normal requests stay fast; bodies over 1 MiB, declared or chunked,
 * are 413.
 */
class StalledFloodTest {
    private static final int READ_TIMEOUT_SECONDS = 2;
    private static final int STALLED = 300;
    private static final long SLACK_MS = 3_000;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("OVERSEER_HTTP_READ_TIMEOUT_SECONDS", Integer.toString(READ_TIMEOUT_SECONDS)));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    record Stalled(String kind, long closedAfterMs, String answer) {
    }

    @Test
    void hundredsOfStalledConnections_areClosedAfterTheReadTimeout_whileNormalRequestsStayFast() throws Exception {
        String token = server.token("stalled-flood");
        List<String> kinds = List.of("nothing", "half-head", "head-and-part-of-body");
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean flooding = new AtomicBoolean(true);
        List<Stalled> stalled = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> normal = pool.submit(() -> {
                Http http = new Http(server, token);
                while (flooding.get()) {
                    long started = System.nanoTime();
                    int status = http.get("/api/threads?limit=5").status();
                    latencies.add((System.nanoTime() - started) / 1_000);
                    assertThat(status).isEqualTo(200);
                }
                return null;
            });
            List<Future<Stalled>> connections = new ArrayList<>();
            for (int i = 0; i < STALLED; i++) {
                String kind = kinds.get(i % kinds.size());
                connections.add(pool.submit(() -> stall(kind, token)));
            }
            for (Future<Stalled> connection : connections) {
                stalled.add(connection.get(60, TimeUnit.SECONDS));
            }
            flooding.set(false);
            normal.get(30, TimeUnit.SECONDS);
        }

        // Bodies over the limit, while the server is still in this state of mind.
        RawHttp.Response declared = RawHttp.exchange(server.port(), "POST /api/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + token + "\r\nContent-Type: application/json\r\nContent-Length: 1048577\r\nConnection: close",
                ("{\"title\":\"" + "t".repeat(1_048_577 - 12) + "\"}").getBytes(StandardCharsets.US_ASCII));
        // Declared far beyond what is swallowed, with no body sent: refused at once, without waiting for it.
        long hugeStarted = System.nanoTime();
        RawHttp.Response declaredHuge = RawHttp.exchange(server.port(), "POST /api/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + token + "\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\nConnection: close", new byte[0]);
        long hugeMs = (System.nanoTime() - hugeStarted) / 1_000_000;
        StringBuilder chunks = new StringBuilder();
        for (int i = 0; i < 17; i++) {
            chunks.append("10000\r\n").append("a".repeat(65_536)).append("\r\n");
        }
        chunks.append("0\r\n\r\n");
        RawHttp.Response chunked = RawHttp.exchange(server.port(), "POST /api/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + token + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close",
                chunks.toString().getBytes(StandardCharsets.US_ASCII));

        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        long p50 = sorted.get(sorted.size() / 2);
        long p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
        long slowestClose = stalled.stream().mapToLong(Stalled::closedAfterMs).max().orElse(0);
        long fastestClose = stalled.stream().mapToLong(Stalled::closedAfterMs).min().orElse(0);
        List<Stalled> late = stalled.stream().filter(s -> s.closedAfterMs() < 0 || s.closedAfterMs() > READ_TIMEOUT_SECONDS * 1000L + SLACK_MS).toList();
        List<Stalled> bodyNot408 = stalled.stream().filter(s -> s.kind().equals("head-and-part-of-body") && !s.answer().startsWith("HTTP/1.1 408")).toList();
        Figures.of("stalled-requests").put("stalled", STALLED).put("closed_after_ms", fastestClose + ".." + slowestClose)
                .put("late_or_open", late.size()).put("body_408", STALLED / 3 - bodyNot408.size())
                .put("normal_requests", sorted.size()).put("p50_ms", String.format("%.1f", p50 / 1000.0))
                .put("p99_ms", String.format("%.1f", p99 / 1000.0)).put("declared_over_1mib", declared.status())
                .put("declared_100mib_unsent", declaredHuge.status() + " in " + hugeMs + " ms")
                .put("chunked_over_1mib", chunked.status()).print();

        assertThat(late).as("connections not closed within %d s + %d ms", READ_TIMEOUT_SECONDS, SLACK_MS).isEmpty();
        assertThat(fastestClose).as("closed before the timeout").isGreaterThanOrEqualTo(READ_TIMEOUT_SECONDS * 1000L - 300);
        assertThat(bodyNot408).as("stalled bodies not answered 408").isEmpty();
        assertThat(p99).as("p99 of normal requests during the flood, µs").isLessThan(1_000_000);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(chunked.status()).isEqualTo(413);
        assertThat(declaredHuge.status()).isEqualTo(413);
        assertThat(hugeMs).as("a declared 100 MiB body is refused without waiting for it").isLessThan(READ_TIMEOUT_SECONDS * 1000L);
        assertThat(declared.header("Content-Type")).startsWith("application/problem+json");
        assertThat(chunked.header("Content-Type")).startsWith("application/problem+json");
    }

    /** Opens a connection, sends part of a request, and waits for the server to end it. */
    private static Stalled stall(String kind, String token) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            socket.setSoTimeout(15_000);
            String partial = switch (kind) {
                case "nothing" -> "";
                case "half-head" -> "GET /api/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bea";
                default -> "POST /api/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                        + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\":";
            };
            long started = System.nanoTime();
            socket.getOutputStream().write(partial.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buffer = new byte[4096];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                }
            } catch (SocketTimeoutException e) {
                return new Stalled(kind, -1, answer.toString());
            } catch (IOException e) {
                // reset: closed as well
            }
            return new Stalled(kind, (System.nanoTime() - started) / 1_000_000, answer.toString());
        }
    }
}
