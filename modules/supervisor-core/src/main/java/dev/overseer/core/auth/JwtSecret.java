package dev.overseer.core.auth;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The HS256 key that signs and verifies every token; at least 32 bytes. */
public final class JwtSecret {
    public static final int MIN_BYTES = 32;

    private final byte[] bytes;

    private JwtSecret(byte[] bytes) {
        if (bytes.length < MIN_BYTES) {
            throw new IllegalArgumentException("a JWT secret needs at least " + MIN_BYTES + " bytes, got " + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    public static JwtSecret of(String secret) {
        return new JwtSecret(secret.getBytes(StandardCharsets.UTF_8));
    }

    byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof JwtSecret that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "JwtSecret[redacted]";
    }
}
