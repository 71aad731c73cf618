package dev.overseer.core.metrics;

import java.time.Duration;

/**
 * The histogram buckets of the server's latencies and sizes (ADR 0029): a dozen or so per series, fixed, so that
 * {@code _bucket} series from every node add up and {@code histogram_quantile} works on their sum.
 */
public final class Buckets {
    private Buckets() {
    }

    /** Milliseconds to seconds: an HTTP request, the handling of a WebSocket frame, a database commit. */
    public static Duration[] fast() {
        return millis(1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000);
    }

    /** Fifty milliseconds to half an hour: a run (which may wait minutes for an approval), a model call. */
    public static Duration[] slow() {
        return millis(50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000,
                1_800_000);
    }

    /** A millisecond to minutes: a tool call (a built-in computes in microseconds, an MCP server may take long). */
    public static Duration[] tools() {
        return millis(1, 5, 25, 100, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000);
    }

    /** Counts in powers of two up to the event writer's largest batch. */
    public static double[] batchSizes() {
        return new double[] {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024, 2_000};
    }

    private static Duration[] millis(double... bounds) {
        Duration[] durations = new Duration[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(bounds[i] * 1_000_000));
        }
        return durations;
    }
}
