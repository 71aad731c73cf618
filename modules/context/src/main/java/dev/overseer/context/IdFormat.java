package dev.overseer.context;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.stream.IntStream;

/** The rules every id shares (length, characters) and the generator of new, time-ordered prefixed ids. */
public final class IdFormat {
    /** Longest id accepted from outside, in characters. */
    public static final int MAX_LENGTH = 128;

    private static final char[] CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    /**
     * Generators picked by thread. The default {@code SecureRandom} on Linux (NativePRNG) serialises every
     * instance on one lock, on which threads starting runs at once queued (JFR: 2.9 ms a wait at 12,000
     * runs/s). SHA1PRNG instances, each seeded from the operating system, lock only themselves and take about
     * 70 ns for an id's 10 bytes (NativePRNG 165 ns, DRBG 320 ns).
     */
    private static final SecureRandom[] RANDOMS = IntStream.range(0, 2 * Runtime.getRuntime().availableProcessors())
            .mapToObj(i -> seededGenerator())
            .toArray(SecureRandom[]::new);
    private static final Clock CLOCK = Clock.systemUTC();

    private IdFormat() {
    }

    /** A generator seeded now rather than by the first id a request needs. */
    private static SecureRandom seededGenerator() {
        try {
            SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
            random.nextBytes(new byte[1]);
            return random;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides no SHA1PRNG SecureRandom", e);
        }
    }

    /** Checks the rules shared by all ids: present, not blank, at most {@link #MAX_LENGTH}, no control characters. */
    public static String requireWellFormed(String kind, String value) {
        if (value == null) {
            throw new InvalidIdException(kind + " is missing");
        }
        if (value.isBlank()) {
            throw new InvalidIdException(kind + " is blank");
        }
        if (value.length() > MAX_LENGTH) {
            throw new InvalidIdException(kind + " is longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidIdException(kind + " contains a control character");
            }
        }
        return value;
    }

    /** Checks a generated-style id: the shared rules, the prefix, then only letters, digits, '_' and '-'. */
    public static String requirePrefixed(String kind, String prefix, String value) {
        requireWellFormed(kind, value);
        if (!value.startsWith(prefix) || value.length() == prefix.length()) {
            throw new InvalidIdException(kind + " must start with '" + prefix + "'");
        }
        for (int i = prefix.length(); i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            if (!allowed) {
                throw new InvalidIdException(kind + " may only hold letters, digits, '_' and '-'");
            }
        }
        return value;
    }

    /**
     * A new id: the prefix, then 26 Crockford base-32 characters of a 48-bit millisecond timestamp and
     * 80 random bits, so ids of one kind sort by creation time.
     */
    public static String generate(String prefix) {
        long millis = CLOCK.millis();
        byte[] random = new byte[10];
        RANDOMS[(int) (Thread.currentThread().threadId() % RANDOMS.length)].nextBytes(random);
        char[] out = new char[prefix.length() + 26];
        prefix.getChars(0, prefix.length(), out, 0);
        int at = prefix.length();
        for (int shift = 45; shift >= 0; shift -= 5) {
            out[at++] = CROCKFORD[(int) ((millis >>> shift) & 31)];
        }
        // 10 characters of time above hold 50 bits; the remaining 16 characters carry the 80 random bits.
        long high = 0;
        for (int i = 0; i < 5; i++) {
            high = (high << 8) | (random[i] & 0xff);
        }
        long low = 0;
        for (int i = 5; i < 10; i++) {
            low = (low << 8) | (random[i] & 0xff);
        }
        for (int shift = 35; shift >= 0; shift -= 5) {
            out[at++] = CROCKFORD[(int) ((high >>> shift) & 31)];
        }
        for (int shift = 35; shift >= 0; shift -= 5) {
            out[at++] = CROCKFORD[(int) ((low >>> shift) & 31)];
        }
        return new String(out);
    }
}
