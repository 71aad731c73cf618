package dev.overseer.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long a load warms up before its measured window opens: a fixed time, or ({@code auto}) until the server
 * has stopped compiling. A JVM's JIT takes most of a core for its first seconds under a new load (two thirds
 * of one of the two cores 3 s in), so a window that opens while it still compiles measures the compiler as
 * much as the server. {@code auto} waits at least {@link #AUTO_MIN}, then until the server's compiler threads
 * used under {@link #QUIET_JIT_CORES} of a core in each of the last {@link #QUIET_SECONDS} seconds, and at most
 * {@link #AUTO_MAX}. The JIT still flares up now and then after that (0.2 cores for a second, every ten or so).
 */
record WarmUp(Duration min, Duration max) {
    static final Duration AUTO_MIN = Duration.ofSeconds(10);
    static final Duration AUTO_MAX = Duration.ofSeconds(60);
    static final double QUIET_JIT_CORES = 0.05;
    static final int QUIET_SECONDS = 3;
    static final WarmUp AUTO = new WarmUp(AUTO_MIN, AUTO_MAX);

    /** {@code auto}, or seconds. */
    static WarmUp parse(String value) {
        if (value.trim().toLowerCase(Locale.ROOT).equals("auto")) {
            return AUTO;
        }
        double seconds;
        try {
            seconds = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--warmup must be auto or a number of seconds, not " + value);
        }
        if (seconds < 0) {
            throw new IllegalArgumentException("--warmup must not be negative");
        }
        Duration fixed = Duration.ofMillis((long) (seconds * 1_000));
        return new WarmUp(fixed, fixed);
    }

    boolean auto() {
        return !min.equals(max);
    }

    @Override
    public String toString() {
        return auto() ? "auto" : min.toMillis() / 1e3 + " s";
    }

    /**
     * Waits, from {@code start} ({@link System#nanoTime}), until the load is warm on the server process
     * {@code serverPid}; returns the time it is.
     */
    long await(long start, long serverPid) throws InterruptedException {
        long earliest = start + min.toNanos();
        sleepUntil(earliest);
        if (!auto()) {
            return earliest;
        }
        long latest = start + max.toNanos();
        double compiled = compilerSeconds(serverPid);
        long at = System.nanoTime();
        int quietSeconds = 0;
        while (at < latest) {
            sleepUntil(at + TimeUnit.SECONDS.toNanos(1));
            double nowCompiled = compilerSeconds(serverPid);
            long now = System.nanoTime();
            double cores = (nowCompiled - compiled) / ((now - at) / 1e9);
            quietSeconds = Double.isNaN(cores) || cores < QUIET_JIT_CORES ? quietSeconds + 1 : 0;
            compiled = nowCompiled;
            at = now;
            if (quietSeconds >= QUIET_SECONDS) {
                break;
            }
        }
        return System.nanoTime();
    }

    /** CPU seconds the process's JIT compiler threads used so far (NaN where /proc cannot tell). */
    private static double compilerSeconds(long pid) {
        Map<String, Double> threads = CpuTime.threadSeconds(pid);
        if (threads.isEmpty()) {
            return Double.NaN;
        }
        return threads.entrySet().stream()
                .filter(group -> group.getKey().contains("CompilerThre"))
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }

    /** Sleeps until {@link System#nanoTime} reaches {@code deadline}: the harness's one way to wait for a time. */
    static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
