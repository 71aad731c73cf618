package dev.overseer.core.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Mints HS256 tokens with the server's secret (the {@code token} command, tests, benchmarks). */
@Singleton
public final class TokenIssuer {
    private final Algorithm algorithm;
    private final Clock clock;

    @Inject
    public TokenIssuer(JwtSecret secret, Clock clock) {
        this.algorithm = Algorithm.HMAC256(secret.bytes());
        this.clock = clock;
    }

    /** A token for this user that expires after {@code ttl}. */
    public String issue(UserId user, Duration ttl) {
        Instant now = clock.instant();
        return JWT.create()
                .withSubject(user.value())
                .withIssuedAt(now)
                .withExpiresAt(now.plus(ttl))
                .sign(algorithm);
    }
}
