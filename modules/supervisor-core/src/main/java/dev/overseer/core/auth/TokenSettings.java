package dev.overseer.core.auth;

import java.time.Duration;

/** How tokens are judged beyond their signature: the clock skew allowed on {@code exp}, {@code nbf} and {@code iat}. */
public record TokenSettings(Duration clockSkew) {
    /** SPEC §3: 60 s of clock skew are allowed. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

    public TokenSettings {
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative");
        }
    }
}
