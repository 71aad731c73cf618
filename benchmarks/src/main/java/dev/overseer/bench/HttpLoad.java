package dev.overseer.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP path of the same work: each client loop creates its own thread, then repeats
 * {@code POST /api/threads/{id}/runs?wait=true} with "What is 6*7?" on it, one request at a time, over one
 * keep-alive connection. A run counts when the answer is 200 with a completed run whose output has 42.
 */
final class HttpLoad {
    static final String START_BODY = "{\"content\":\"What is 6*7?\"}";
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    /** One HTTP load run. */
    record Settings(InetSocketAddress address, int connections, WarmUp warmUp, Duration duration, Tokens tokens,
            String userPrefix) {
    }

    private HttpLoad() {
    }

    static WsLoad.Result run(Settings settings, long serverPid) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(settings.connections());
        CountDownLatch go = new CountDownLatch(1);
        // The window opens when the warm-up is over: until then, it starts and ends never.
        AtomicLongArray window = new AtomicLongArray(new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
        List<LoadStats> stats = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < settings.connections(); i++) {
            LoadStats mine = new LoadStats();
            stats.add(mine);
            String token = settings.tokens().mint(settings.userPrefix() + i);
            threads.add(Thread.ofPlatform().name("http-client-" + i).daemon().start(() -> {
                try (HttpConnection http = new HttpConnection(settings.address(), token)) {
                    loop(http, mine, ready, go, window);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        if (!ready.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the HTTP clients did not create their threads within 60 s");
        }
        long start = System.nanoTime();
        go.countDown();
        long open = settings.warmUp().await(start, serverPid);
        window.set(1, open + settings.duration().toNanos());
        window.set(0, open);
        Instant from = Instant.now();
        CpuTime.Sample cpuAtStart = CpuTime.Sample.take(serverPid);
        WarmUp.sleepUntil(window.get(1));
        CpuTime.Usage cpu = cpuAtStart.until(CpuTime.Sample.take(serverPid));
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        LoadStats all = LoadStats.merge(stats);
        double seconds = settings.duration().toNanos() / 1e9;
        int connected = (int) stats.stream().filter(part -> !part.errors.containsKey("create_thread_failed")).count();
        return new WsLoad.Result(WsLoad.Mode.OVERSEER, settings.connections(), connected, seconds, all,
                cpu, from,
                from.plus(settings.duration()), (open - start) / 1e9);
    }

    private static void loop(HttpConnection http, LoadStats stats, CountDownLatch ready, CountDownLatch go,
            AtomicLongArray window) throws InterruptedException {
        String threadId;
        try {
            HttpConnection.Response created = http.post("/api/threads", "{\"title\":\"benchmark\"}");
            Matcher id = ID.matcher(created.text());
            if (created.status() != 201 || !id.find()) {
                stats.error("create_thread_failed");
                System.err.println("creating a thread failed: " + created.status() + " " + created.text());
                return;
            }
            threadId = id.group(1);
        } catch (IOException e) {
            stats.error("create_thread_failed");
            System.err.println("creating a thread failed: " + e);
            return;
        } finally {
            ready.countDown();
        }
        go.await();
        String path = "/api/threads/" + threadId + "/runs?wait=true";
        while (true) {
            long start = window.get(0);
            long end = window.get(1);
            long sentAt = System.nanoTime();
            if (sentAt >= end) {
                return;
            }
            stats.sent++;
            HttpConnection.Response response;
            try {
                response = http.post(path, START_BODY);
            } catch (IOException e) {
                stats.error("io:" + e.getClass().getSimpleName());
                Thread.sleep(5);
                continue;
            }
            long now = System.nanoTime();
            String body = response.text();
            boolean inWindow = now >= start && now < end;
            if (inWindow) {
                stats.frames++;
            }
            if (response.status() != 200) {
                stats.error("http_" + response.status());
                continue;
            }
            if (!body.contains("\"status\":\"completed\"")) {
                stats.error("run_not_completed");
            } else if (!body.contains("42")) {
                stats.error("run_completed_without_42");
            }
            if (inWindow) {
                stats.runs++;
                stats.latency(now - sentAt);
                stats.completedInSecond((int) ((now - start) / 1_000_000_000L));
            }
        }
    }
}
