package dev.overseer.bench;

import dev.overseer.context.UserId;
import dev.overseer.core.auth.JwtSecret;
import dev.overseer.core.auth.TokenIssuer;
import java.time.Clock;
import java.time.Duration;

/** Mints the HS256 tokens Overseer accepts (SPEC §3), with the secret the harness gave the server. */
final class Tokens {
    private static final Duration TTL = Duration.ofHours(2);

    private final TokenIssuer issuer;

    Tokens(String secret) {
        this.issuer = new TokenIssuer(JwtSecret.of(secret), Clock.systemUTC());
    }

    /** A token for this user, valid for two hours. */
    String mint(String user) {
        return issuer.issue(new UserId(user), TTL);
    }
}
