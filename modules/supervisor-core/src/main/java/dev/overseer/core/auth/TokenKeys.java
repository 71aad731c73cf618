package dev.overseer.core.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.health.HealthStatus;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.security.Key;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which keys may verify a token, chosen by its {@code alg} (SPEC §3, ADR 0025): HS256 only the secret, RS256 and
 * ES256 only the identity provider's keys of the matching type (by {@code kid}), anything else nothing. So a token
 * signed HS256 with the provider's public key as the secret finds no key, and neither does {@code none}.
 * The provider's key set is fetched by nimbus-jose-jwt's {@link JWKSourceBuilder}: cached, refetched for an unknown
 * {@code kid} at most once every 10 s, and kept in use while the provider cannot be reached.
 */
final class TokenKeys implements JWSKeySelector<SecurityContext> {
    static final Set<JWSAlgorithm> PROVIDER_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    private static final Logger LOG = LoggerFactory.getLogger(TokenKeys.class);
    private static final long REFETCH_AT_MOST_EVERY_MILLIS = Duration.ofSeconds(10).toMillis();
    private static final long CACHE_MILLIS = Duration.ofMinutes(5).toMillis();
    private static final long FETCH_TIMEOUT_MILLIS = Duration.ofSeconds(3).toMillis();
    private static final long OUTAGE_TOLERANCE_MILLIS = Duration.ofDays(1).toMillis();
    private static final int MAX_KEY_SET_BYTES = 1024 * 1024;

    private final JWSKeySelector<SecurityContext> secret;
    private final JWSKeySelector<SecurityContext> provider;

    TokenKeys(JwtSecret secret, TokenSettings settings) {
        this.secret = settings.acceptSecret()
                ? new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(secret.bytes()))
                : null;
        this.provider = settings.jwksUrl() == null ? null
                : new JWSVerificationKeySelector<>(PROVIDER_ALGORITHMS, keySet(settings.jwksUrl()));
    }

    private static JWKSource<SecurityContext> keySet(URI url) {
        AtomicBoolean reachable = new AtomicBoolean(true);
        try {
            JWKSetSource<SecurityContext> fetched = new URLBasedJWKSetSource<>(url.toURL(), new DefaultResourceRetriever(
                    (int) FETCH_TIMEOUT_MILLIS, (int) FETCH_TIMEOUT_MILLIS, MAX_KEY_SET_BYTES));
            // nimbus's own rate limit allows two fetches per interval; SPEC §3 allows one.
            return JWKSourceBuilder.create(new OncePerInterval(fetched, REFETCH_AT_MOST_EVERY_MILLIS))
                    .rateLimited(false)
                    .retrying(false)
                    .cache(CACHE_MILLIS, FETCH_TIMEOUT_MILLIS)
                    .outageTolerant(OUTAGE_TOLERANCE_MILLIS)
                    // Told of every fetch; logged when the provider stops or starts answering, not per request.
                    .healthReporting(report -> {
                        if (report.getException() instanceof RateLimitReachedException) {
                            return; // a fetch refused here, not a provider that does not answer
                        }
                        boolean healthy = report.getHealthStatus() == HealthStatus.HEALTHY;
                        if (reachable.compareAndSet(!healthy, healthy)) {
                            if (healthy) {
                                LOG.info("the identity provider's keys at {} can be fetched again", url);
                            } else {
                                LOG.warn("cannot fetch the identity provider's keys at {}; the keys fetched before "
                                        + "stay in use ({})", url, report.getException() == null ? "no detail"
                                        : report.getException().getMessage());
                            }
                        }
                    })
                    .build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("the JWKS URL " + url + " is not a URL", e);
        }
    }

    /** Fetches the key set at most once per interval; a fetch asked for sooner is refused. */
    private static final class OncePerInterval implements JWKSetSource<SecurityContext> {
        private final JWKSetSource<SecurityContext> fetched;
        private final long intervalMillis;
        private long nextMillis = Long.MIN_VALUE;

        OncePerInterval(JWKSetSource<SecurityContext> fetched, long intervalMillis) {
            this.fetched = fetched;
            this.intervalMillis = intervalMillis;
        }

        @Override
        public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator refresh, long currentTimeMillis, SecurityContext context)
                throws KeySourceException {
            synchronized (this) {
                if (currentTimeMillis < nextMillis) {
                    throw new RateLimitReachedException();
                }
                nextMillis = currentTimeMillis + intervalMillis;
            }
            return fetched.getJWKSet(refresh, currentTimeMillis, context);
        }

        @Override
        public void close() throws IOException {
            fetched.close();
        }
    }

    @Override
    public List<? extends Key> selectJWSKeys(JWSHeader header, SecurityContext context) throws KeySourceException {
        JWSAlgorithm algorithm = header.getAlgorithm();
        if (JWSAlgorithm.HS256.equals(algorithm) && secret != null) {
            return secret.selectJWSKeys(header, context);
        }
        if (PROVIDER_ALGORITHMS.contains(algorithm) && provider != null) {
            return provider.selectJWSKeys(header, context);
        }
        return List.of();
    }
}
