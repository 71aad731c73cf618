package dev.overseer.bench;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/** Mints the HS256 tokens Overseer accepts (SPEC §3), with the secret the harness gave the server. */
final class Tokens {
    private static final Duration TTL = Duration.ofHours(2);

    private final Algorithm algorithm;

    Tokens(String secret) {
        this.algorithm = Algorithm.HMAC256(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** A token for this user, valid for two hours. */
    String mint(String user) {
        Instant now = Instant.now();
        return JWT.create().withSubject(user).withIssuedAt(now).withExpiresAt(now.plus(TTL)).sign(algorithm);
    }
}
