package dev.overseer.bench;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one client thread counted: frames and runs inside the measurement window, their latencies, and
 * every error of the whole run (warm-up and drain included). Written by one thread; merged at the end.
 */
final class LoadStats {
    long frames;
    long runs;
    long sent;
    private long[] timeline = new long[16];
    private long[] latencies = new long[1_024];
    private int latencyCount;
    final Map<String, Long> errors = new TreeMap<>();

    void latency(long nanos) {
        if (latencyCount == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencyCount * 2);
        }
        latencies[latencyCount++] = nanos;
    }

    /** Counts one run (or echo) completed in second {@code second} of the window. */
    void completedInSecond(int second) {
        addToTimeline(second, 1);
    }

    private void addToTimeline(int second, long count) {
        if (second >= timeline.length) {
            timeline = Arrays.copyOf(timeline, Math.max(second + 1, timeline.length * 2));
        }
        timeline[second] += count;
    }

    /** Runs (or echoes) completed in each second of the window. */
    long[] timeline(int seconds) {
        return Arrays.copyOf(timeline, seconds);
    }

    void error(String kind) {
        errors.merge(kind, 1L, Long::sum);
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Adds up the parts; call once the threads that wrote them have ended (joined). */
    static LoadStats merge(Iterable<LoadStats> parts) {
        LoadStats all = new LoadStats();
        for (LoadStats part : parts) {
            all.frames += part.frames;
            all.runs += part.runs;
            all.sent += part.sent;
            for (int i = 0; i < part.timeline.length; i++) {
                all.addToTimeline(i, part.timeline[i]);
            }
            for (int i = 0; i < part.latencyCount; i++) {
                all.latency(part.latencies[i]);
            }
            part.errors.forEach((kind, count) -> all.errors.merge(kind, count, Long::sum));
        }
        return all;
    }

    /** Latency percentiles in milliseconds (nearest rank); zeros when nothing was measured. */
    Percentiles percentiles() {
        long[] sorted = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(sorted);
        return new Percentiles(sorted.length, rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
                sorted.length == 0 ? 0 : Arrays.stream(sorted).average().orElse(0) / 1e6);
    }

    private static double rank(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(quantile * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    /** Latency percentiles, in milliseconds. */
    record Percentiles(long count, double p50, double p90, double p99, double max, double mean) {
    }
}
