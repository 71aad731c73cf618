package dev.overseer.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** Mints HS256 tokens with the server's secret (the {@code token} command, tests, benchmarks). */
@Singleton
public final class TokenIssuer {
    private static final JWSHeader HEADER = new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build();

    private final MACSigner signer;
    private final Clock clock;
    private final String issuer;
    private final String audience;

    /** Tokens with no {@code iss} or {@code aud}. */
    public TokenIssuer(JwtSecret secret, Clock clock) {
        this(secret, new TokenSettings(TokenSettings.DEFAULT_CLOCK_SKEW), clock);
    }

    /** Tokens that carry the {@code iss} and {@code aud} the settings require, if any. */
    @Inject
    public TokenIssuer(JwtSecret secret, TokenSettings settings, Clock clock) {
        try {
            this.signer = new MACSigner(secret.bytes());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the JWT secret cannot sign HS256 tokens", e);
        }
        this.clock = clock;
        this.issuer = settings.issuer();
        this.audience = settings.audience();
    }

    /** A token for this user that expires after {@code ttl}. */
    public String issue(UserId user, Duration ttl) {
        Instant now = clock.instant();
        SignedJWT jwt = new SignedJWT(HEADER, new JWTClaimsSet.Builder()
                .subject(user.value())
                .issuer(issuer)
                .audience(audience)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing a token failed", e);
        }
        return jwt.serialize();
    }
}
