package dev.overseer.core.run;

import dev.overseer.context.UserId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A token bucket per user for starting runs: {@code burst} starts at once, refilled at {@code perSecond}.
 * Buckets that have refilled completely are forgotten, so idle users cost nothing.
 */
public final class StartRateLimiter {
    private static final int SWEEP_EVERY = 1_024;

    private final double perSecond;
    private final int burst;
    private final Map<UserId, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicInteger sinceSweep = new AtomicInteger();

    private static final class Bucket {
        double tokens;
        long updatedNanos;

        Bucket(double tokens, long updatedNanos) {
            this.tokens = tokens;
            this.updatedNanos = updatedNanos;
        }
    }

    public StartRateLimiter(double perSecond, int burst) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("the start rate and burst must be positive");
        }
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /** Takes one start for the user: 0 when allowed, else how many milliseconds until one is. */
    public long tryAcquire(UserId user, long nowNanos) {
        if (sinceSweep.incrementAndGet() >= SWEEP_EVERY) {
            sinceSweep.set(0);
            buckets.entrySet().removeIf(entry -> full(entry.getValue(), nowNanos));
        }
        long[] waitMillis = {0};
        buckets.compute(user, (key, bucket) -> {
            Bucket current = bucket == null ? new Bucket(burst, nowNanos) : bucket;
            refill(current, nowNanos);
            if (current.tokens >= 1) {
                current.tokens -= 1;
            } else {
                waitMillis[0] = Math.max(1, (long) Math.ceil((1 - current.tokens) / perSecond * 1_000));
            }
            return current;
        });
        return waitMillis[0];
    }

    private void refill(Bucket bucket, long nowNanos) {
        double elapsedSeconds = Math.max(0, nowNanos - bucket.updatedNanos) / 1e9;
        bucket.tokens = Math.min(burst, bucket.tokens + elapsedSeconds * perSecond);
        bucket.updatedNanos = nowNanos;
    }

    private boolean full(Bucket bucket, long nowNanos) {
        synchronized (bucket) {
            double elapsedSeconds = Math.max(0, nowNanos - bucket.updatedNanos) / 1e9;
            return bucket.tokens + elapsedSeconds * perSecond >= burst;
        }
    }
}
