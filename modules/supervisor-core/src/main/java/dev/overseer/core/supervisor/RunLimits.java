package dev.overseer.core.supervisor;

import java.time.Duration;

/** Per-user limits on runs and how long shutdown waits for them. */
public record RunLimits(int maxActiveRunsPerUser, int maxContentChars, Duration shutdownGrace) {
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
