package dev.overseer.core.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.overseer.context.InvalidIdException;
import dev.overseer.context.Principal;
import dev.overseer.context.UserId;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a bearer token into a {@link Principal}; the one authenticator both transports use (ADR 0017). The
 * signature, {@code alg} and {@code crit} are checked by nimbus-jose-jwt; the claims here, against the raw
 * payload, so that a claim of the wrong type ({@code "exp": null}, a numeric {@code sub}) is refused rather
 * than read as absent or converted. A token that passed is remembered until it stops being acceptable
 * (ADR 0010), so a client's next requests skip verification.
 */
@Singleton
public final class TokenAuthenticator {
    /** How many verified tokens are remembered at most. */
    static final int CACHED_TOKENS = 4096;
    private static final String BEARER = "bearer ";
    /** About 30 million years either side of 1970. */
    private static final double LIMIT_SECONDS = 1e15;

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Clock clock;
    private final Duration skew;
    private final String issuer;
    private final String audience;
    private final VerifiedTokens verified;

    @Inject
    public TokenAuthenticator(JwtSecret secret, TokenSettings settings, Clock clock) {
        this(secret, settings, clock, CACHED_TOKENS);
    }

    TokenAuthenticator(JwtSecret secret, TokenSettings settings, Clock clock, int cachedTokens) {
        processor.setJWSKeySelector(new TokenKeys(secret, settings));
        // The claims are checked below, on the payload as sent, with the injected clock.
        processor.setJWTClaimsSetVerifier(null);
        this.clock = clock;
        this.skew = settings.clockSkew();
        this.issuer = settings.issuer();
        this.audience = settings.audience();
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

    /**
     * Verifies a bare JWT: HS256 with our secret or RS256 / ES256 with the identity provider's keys (ADR 0025), the
     * configured {@code iss} and {@code aud} if any, no critical header it does not understand, a string {@code sub}
     * that is a valid user id, a numeric {@code exp} not passed, and {@code nbf} / {@code iat}, when present,
     * numeric and not in the future, each with the allowed clock skew.
     */
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
        Map<String, Object> claims;
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            processor.process(jwt, null);
            claims = jwt.getPayload().toJSONObject();
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            throw new AuthenticationException("invalid token");
        }
        if (claims == null) {
            throw new AuthenticationException("invalid token");
        }
        Instant now = clock.instant();
        Instant expires = numericDate(claims, "exp", true);
        if (!now.isBefore(expires.plus(skew))) {
            throw new AuthenticationException("token expired");
        }
        Instant notBefore = numericDate(claims, "nbf", false);
        if (notBefore != null && now.plus(skew).isBefore(notBefore)) {
            throw new AuthenticationException("token not valid yet");
        }
        Instant issued = numericDate(claims, "iat", false);
        if (issued != null && now.plus(skew).isBefore(issued)) {
            throw new AuthenticationException("token issued in the future");
        }
        if (issuer != null && !issuer.equals(claims.get("iss"))) {
            throw new AuthenticationException("invalid token issuer");
        }
        if (audience != null && !audiences(claims.get("aud")).contains(audience)) {
            throw new AuthenticationException("invalid token audience");
        }
        if (!(claims.get("sub") instanceof String subject)) {
            throw new AuthenticationException("invalid token subject: sub must be a string");
        }
        try {
            // Valid for as long as it is accepted: until exp, plus the skew.
            return new Principal(new UserId(subject), expires.plus(skew));
        } catch (InvalidIdException e) {
            throw new AuthenticationException("invalid token subject: " + e.getMessage());
        }
    }

    /** The {@code aud} claim as its values: one string, or an array of them (RFC 7519 §4.1.3). */
    private static List<?> audiences(Object claim) {
        return claim instanceof String one ? List.of(one) : claim instanceof List<?> many ? many : List.of();
    }

    /**
     * A NumericDate claim (RFC 7519 §2: seconds since the epoch). Absent: null, or refused when required;
     * present with any other type, {@code null} included: refused.
     */
    private static Instant numericDate(Map<String, Object> claims, String name, boolean required)
            throws AuthenticationException {
        if (!claims.containsKey(name)) {
            if (required) {
                throw new AuthenticationException("invalid token: " + name + " is required");
            }
            return null;
        }
        if (!(claims.get(name) instanceof Number seconds) || !Double.isFinite(seconds.doubleValue())) {
            throw new AuthenticationException("invalid token: " + name + " must be a number of seconds");
        }
        // Clamped far beyond any real date, so that arithmetic on it cannot overflow.
        double value = Math.max(-LIMIT_SECONDS, Math.min(LIMIT_SECONDS, seconds.doubleValue()));
        return Instant.ofEpochMilli((long) (value * 1000));
    }
}
