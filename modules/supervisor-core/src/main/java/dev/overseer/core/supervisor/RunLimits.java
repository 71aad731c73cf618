package dev.overseer.core.supervisor;

import java.time.Duration;

/** Per-user limits on runs (active at once, message size, start rate) and how long shutdown waits for runs. */
public record RunLimits(int maxActiveRunsPerUser, int maxContentChars, double startsPerSecond, int startBurst,
        Duration shutdownGrace) {
    /** The longest user message accepted, in characters. */
    public static final int DEFAULT_MAX_CONTENT_CHARS = 100_000;

    public RunLimits {
        if (maxActiveRunsPerUser < 1) {
            throw new IllegalArgumentException("maxActiveRunsPerUser must be at least 1");
        }
        if (maxContentChars < 1) {
            throw new IllegalArgumentException("maxContentChars must be at least 1");
        }
    }
}
