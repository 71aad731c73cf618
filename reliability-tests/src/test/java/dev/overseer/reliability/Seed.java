package dev.overseer.reliability;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The seed of every generated input: {@code -Dreliability.seed} or {@code OVERSEER_RELIABILITY_SEED}; else fixed
 * when {@code CI} is set (so CI runs repeat), random locally (so local runs explore). Printed in each test's figures.
 */
final class Seed {
    static final long FIXED = 20261206L;
    private static final long VALUE = resolve();

    private Seed() {
    }

    static long value() {
        return VALUE;
    }

    /** A generator for one test, derived from the seed and the test's name so tests do not share a sequence. */
    static Random random(String test) {
        return new Random(VALUE * 31 + test.hashCode());
    }

    private static long resolve() {
        String property = System.getProperty("reliability.seed");
        if (property != null && !property.isBlank()) {
            return Long.parseLong(property.trim());
        }
        String env = System.getenv("OVERSEER_RELIABILITY_SEED");
        if (env != null && !env.isBlank()) {
            return Long.parseLong(env.trim());
        }
        if (System.getenv("CI") != null) {
            return FIXED;
        }
        long random = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        System.out.println("reliability-seed: " + random + " (random; repeat with -Dreliability.seed=" + random + ")");
        return random;
    }
}
