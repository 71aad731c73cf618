package dev.overseer.core.auth;

import java.net.URI;
import java.time.Duration;

/**
 * How tokens are judged (SPEC §3, ADR 0025): the clock skew allowed on {@code exp}, {@code nbf} and {@code iat}; an
 * identity provider's JWKS URL whose keys verify RS256, ES256 and EdDSA tokens (null: none); the {@code iss} and
 * {@code aud} a token must carry (null: not checked); and whether HS256 tokens signed with the secret are accepted.
 */
public record TokenSettings(Duration clockSkew, URI jwksUrl, String issuer, String audience, boolean acceptSecret) {
    /** SPEC §3: 60 s of clock skew are allowed. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

    public TokenSettings {
        if (clockSkew.isNegative()) {
            throw new IllegalArgumentException("clockSkew must not be negative");
        }
        if (!acceptSecret && jwksUrl == null) {
            throw new IllegalArgumentException("without the secret, tokens need a JWKS URL to be verified at all");
        }
    }

    /** HS256 tokens signed with the secret, and nothing else. */
    public TokenSettings(Duration clockSkew) {
        this(clockSkew, null, null, null, true);
    }
}
