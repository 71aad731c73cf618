package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.overseer.it.Frames;
import dev.overseer.it.Http;
import dev.overseer.it.RawWebSocket;
import dev.overseer.it.TestServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §5: a client that stops reading while its runs stream is closed with 1013 once its bounded outbound queue
 * overflows; the server's heap stays bounded meanwhile, far below what the runs produced for those clients.
 */
class SlowConsumerTest {
    private static final int MIB = 1 << 20;
    private static final int CLIENTS = 8;
    private static final int RUNS_PER_CLIENT = 30;
    /** Each run echoes this twice (agent_completed and run_completed): about 180 KB of events per run. */
    private static final String BIG = "x".repeat(90_000);
    private static final long HEAP_BOUND = 24L * MIB;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "1000",
                "OVERSEER_WS_MAX_MESSAGE_BYTES", "262144"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void clientsThatStopReading_areClosedWith1013_andTheHeapStaysBounded() throws Exception {
        // Control: the same runs with nobody following them, for the heap the runs themselves take.
        List<String> controlThreads = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            controlThreads.add(new Http(server, server.token("control-" + c)).createThread());
        }
        long controlBefore = usedAfterGc();
        long[] controlPeak = {0};
        int controlRuns = runAll("control-", controlThreads, controlPeak, controlBefore);

        List<RawWebSocket> slow = new ArrayList<>();
        List<String> threads = new ArrayList<>();
        long before = usedAfterGc();
        try {
            // Each slow client follows a thread of its own and then reads nothing more; the runs on that thread are
            // started over HTTP one after another, so the server's own working set stays small and what could grow
            // is what it holds for the clients that do not read.
            for (int c = 0; c < CLIENTS; c++) {
                String user = "slow-" + c;
                threads.add(new Http(server, server.token(user)).createThread());
                RawWebSocket socket = RawWebSocket.connect(server, server.token(user), 4_096);
                assertThat(socket.status()).isEqualTo(101);
                socket.read(Duration.ofSeconds(5));
                socket.sendText(Frames.subscribe(threads.get(c), "follow"));
                slow.add(socket);
            }
            long[] peak = {0};
            int completed = runAll("slow-", threads, peak, before);
            await().atMost(Duration.ofSeconds(20)).until(() -> server.server().webSockets().connections().size() == 0);
            Map<Integer, Integer> closes = new TreeMap<>();
            for (RawWebSocket socket : slow) {
                RawWebSocket.Frame close = socket.readUntilClosed(Duration.ofSeconds(30));
                closes.merge(close == null ? -1 : close.closeCode(), 1, Integer::sum);
            }
            long produced = (long) CLIENTS * RUNS_PER_CLIENT * 2 * BIG.length();
            Figures.of("slow-consumer").put("clients", CLIENTS).put("runs", completed)
                    .put("closes", Figures.counts(closes)).put("output_for_slow_clients_mib", produced / MIB)
                    .put("heap_peak_growth_mib", peak[0] / MIB).put("control_peak_growth_mib", controlPeak[0] / MIB)
                    .put("attributable_mib", (peak[0] - controlPeak[0]) / MIB).put("bound_mib", HEAP_BOUND / MIB).print();
            assertThat(controlRuns).isEqualTo(CLIENTS * RUNS_PER_CLIENT);
            assertThat(completed).as("runs completed regardless of their followers").isEqualTo(CLIENTS * RUNS_PER_CLIENT);
            assertThat(closes).as("close codes of the clients that stopped reading").containsOnlyKeys(1013);
            assertThat(peak[0] - controlPeak[0]).as("peak heap growth (after GC) with %d clients not reading, beyond the "
                    + "same runs' own (%d MiB)", CLIENTS, controlPeak[0] / MIB).isLessThan(HEAP_BOUND);
        } finally {
            slow.forEach(RawWebSocket::close);
        }
    }

    /** Runs RUNS_PER_CLIENT runs one after another on each thread, all threads at once; samples the heap. */
    private static int runAll(String userPrefix, List<String> threads, long[] peak, long before) throws Exception {
        List<Future<Integer>> starters = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < threads.size(); c++) {
                Http http = new Http(server, server.token(userPrefix + c));
                String thread = threads.get(c);
                starters.add(pool.submit(() -> {
                    int completed = 0;
                    for (int i = 0; i < RUNS_PER_CLIENT; i++) {
                        Http.Response run = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"" + BIG + " " + i + "\"}");
                        if (run.status() == 200 && run.json().path("status").asText().equals("completed")) {
                            completed++;
                        }
                    }
                    return completed;
                }));
            }
            while (starters.stream().anyMatch(starter -> !starter.isDone())) {
                peak[0] = Math.max(peak[0], usedAfterGc() - before);
                Thread.sleep(200);
            }
        }
        int completed = 0;
        for (Future<Integer> starter : starters) {
            completed += starter.get();
        }
        return completed;
    }

    private static long usedAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
