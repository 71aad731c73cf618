package dev.overseer.core.store;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The positions that order a thread's runs, and so its messages: microseconds since the epoch at admission,
 * or one more than the last position handed out when the clock has not moved past it. Within a process
 * every position is larger than any before it; a later process continues from its own clock, which is
 * ahead of the last one's unless the clock went back by more than the last process's lead over it.
 */
public final class RunPositions {
    private static final AtomicLong LAST = new AtomicLong();

    private RunPositions() {
    }

    /** A position larger than every one handed out before in this process. */
    public static long next(Instant now) {
        long micros = Math.multiplyExact(now.getEpochSecond(), 1_000_000L) + now.getNano() / 1_000;
        return LAST.accumulateAndGet(micros, (last, clock) -> Math.max(last + 1, clock));
    }
}
