package dev.overseer.core.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import dev.overseer.context.InvalidIdException;
import dev.overseer.context.Principal;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Locale;

/**
 * Turns a bearer token into a {@link Principal}; the one authenticator both transports use. A token that
 * passed verification is remembered until its {@code exp} (ADR 0010), so a client's next requests skip it.
 */
@Singleton
public final class TokenAuthenticator {
    /** How many verified tokens are remembered at most. */
    static final int CACHED_TOKENS = 4096;
    private static final String BEARER = "bearer ";

    private final JWTVerifier verifier;
    private final VerifiedTokens verified;

    @Inject
    public TokenAuthenticator(JwtSecret secret, Clock clock) {
        this(secret, clock, CACHED_TOKENS);
    }

    TokenAuthenticator(JwtSecret secret, Clock clock, int cachedTokens) {
        this.verifier = ((JWTVerifier.BaseVerification) JWT.require(Algorithm.HMAC256(secret.bytes()))
                .withClaimPresence("exp")
                .withClaimPresence("sub"))
                .build(clock);
        this.verified = new VerifiedTokens(cachedTokens, clock);
    }

    /** Reads an {@code Authorization} header value; it must be {@code Bearer <jwt>}. */
    public Principal authenticateHeader(String authorization) throws AuthenticationException {
        if (authorization == null || authorization.isBlank()) {
            throw new AuthenticationException("missing bearer token");
        }
        if (authorization.length() <= BEARER.length()
                || !authorization.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
            throw new AuthenticationException("the Authorization header must be 'Bearer <token>'");
        }
        return authenticate(authorization.substring(BEARER.length()).trim());
    }

    /** Verifies a bare JWT: HS256 with our secret, with {@code sub} and an unexpired {@code exp}. */
    public Principal authenticate(String token) throws AuthenticationException {
        if (token == null) {
            throw new AuthenticationException("invalid token");
        }
        Principal known = verified.find(token);
        if (known != null) {
            return known;
        }
        Principal principal = verify(token);
        verified.remember(token, principal);
        return principal;
    }

    /** How many verified tokens are remembered now. */
    int cachedTokens() {
        return verified.size();
    }

    private Principal verify(String token) throws AuthenticationException {
        DecodedJWT jwt;
        try {
            jwt = verifier.verify(token);
        } catch (TokenExpiredException e) {
            throw new AuthenticationException("token expired");
        } catch (JWTVerificationException e) {
            throw new AuthenticationException("invalid token");
        }
        try {
            return new Principal(new UserId(jwt.getSubject()), jwt.getExpiresAtAsInstant());
        } catch (InvalidIdException e) {
            throw new AuthenticationException("invalid token subject: " + e.getMessage());
        }
    }
}
