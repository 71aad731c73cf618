package dev.overseer.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.Principal;
import dev.overseer.context.UserId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Bearer tokens (SPEC §3), and the cache of verified ones: it never accepts what verification would refuse. */
class TokenAuthenticatorTest {
    private static final JwtSecret SECRET = JwtSecret.of("authenticator-test-secret-that-is-long-enough-0123456789");
    private static final JwtSecret OTHER_SECRET = JwtSecret.of("someone-elses-secret-that-is-also-long-enough-987654");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-28T10:00:00.250Z"));
    private final TokenIssuer issuer = new TokenIssuer(SECRET, clock);
    private final TokenAuthenticator authenticator = new TokenAuthenticator(SECRET, new TokenSettings(Duration.ofSeconds(60)), clock, 4);

    @Test
    void authenticate_aValidToken_isItsSubject_untilItsExpPlusTheClockSkew() throws AuthenticationException {
        String token = issuer.issue(new UserId("alice"), Duration.ofMinutes(5));

        Principal principal = authenticator.authenticate(token);

        assertThat(principal.userId()).isEqualTo(new UserId("alice"));
        assertThat(principal.expiresAt()).isEqualTo(Instant.parse("2026-11-28T10:06:00Z"));
        assertThat(authenticator.authenticateHeader("Bearer " + token)).isEqualTo(principal);
    }

    @Test
    void authenticate_theSameTokenAgain_isAnsweredFromTheCache() throws AuthenticationException {
        String token = issuer.issue(new UserId("alice"), Duration.ofMinutes(5));

        Principal first = authenticator.authenticate(token);
        Principal second = authenticator.authenticateHeader("bearer " + token);

        assertThat(second).as("the principal verification made the first time").isSameAs(first);
        assertThat(authenticator.cachedTokens()).isEqualTo(1);
    }

    @Test
    void cachedToken_isRefusedOnceItsExpAndTheSkewHavePassed_likeOneNeverSeen() throws AuthenticationException {
        String token = issuer.issue(new UserId("alice"), Duration.ofMinutes(5));
        Principal principal = authenticator.authenticate(token);

        clock.set(principal.expiresAt().minusMillis(1));
        assertThat(authenticator.authenticate(token)).isSameAs(principal);

        clock.set(principal.expiresAt());
        assertThatThrownBy(() -> authenticator.authenticate(token))
                .isInstanceOf(AuthenticationException.class).hasMessage("token expired");
        assertThat(authenticator.cachedTokens()).as("the expired token was dropped").isZero();

        clock.set(principal.expiresAt().plusSeconds(3600));
        assertThatThrownBy(() -> authenticator.authenticate(token))
                .isInstanceOf(AuthenticationException.class).hasMessage("token expired");
    }

    @Test
    void tokenWithAnotherSecretsSignature_isRefused_andNeverCached() {
        String forged = new TokenIssuer(OTHER_SECRET, clock).issue(new UserId("alice"), Duration.ofMinutes(5));

        for (int attempt = 0; attempt < 3; attempt++) {
            assertThatThrownBy(() -> authenticator.authenticate(forged))
                    .isInstanceOf(AuthenticationException.class).hasMessage("invalid token");
        }
        assertThat(authenticator.cachedTokens()).isZero();
    }

    @Test
    void cachedToken_withItsSignatureChanged_isRefused() throws AuthenticationException {
        String token = issuer.issue(new UserId("alice"), Duration.ofMinutes(5));
        authenticator.authenticate(token);
        String headerAndPayload = token.substring(0, token.lastIndexOf('.') + 1);
        String otherSignature = new TokenIssuer(OTHER_SECRET, clock).issue(new UserId("alice"), Duration.ofMinutes(5));
        String tampered = headerAndPayload + otherSignature.substring(otherSignature.lastIndexOf('.') + 1);

        assertThatThrownBy(() -> authenticator.authenticate(tampered))
                .isInstanceOf(AuthenticationException.class).hasMessage("invalid token");
        assertThat(authenticator.cachedTokens()).isEqualTo(1);
    }

    @Test
    void expiredAndMalformedTokens_areRefused_andNeverCached() {
        String expired = issuer.issue(new UserId("alice"), Duration.ofSeconds(-61));

        assertThatThrownBy(() -> authenticator.authenticate(expired))
                .isInstanceOf(AuthenticationException.class).hasMessage("token expired");
        assertThatThrownBy(() -> authenticator.authenticate("not-a-jwt"))
                .isInstanceOf(AuthenticationException.class).hasMessage("invalid token");
        assertThatThrownBy(() -> authenticator.authenticate(null))
                .isInstanceOf(AuthenticationException.class).hasMessage("invalid token");
        assertThatThrownBy(() -> authenticator.authenticateHeader("Bearer "))
                .isInstanceOf(AuthenticationException.class);
        assertThat(authenticator.cachedTokens()).isZero();
    }

    @Test
    void cache_staysWithinItsCapacity_andEveryTokenStillAuthenticates() throws AuthenticationException {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            tokens.add(issuer.issue(new UserId("user-" + i), Duration.ofMinutes(5)));
        }

        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < tokens.size(); i++) {
                assertThat(authenticator.authenticate(tokens.get(i)).userId()).isEqualTo(new UserId("user-" + i));
                assertThat(authenticator.cachedTokens()).isBetween(1, 4);
            }
        }
    }

    @Test
    void cache_whenFull_dropsExpiredTokensFirst() throws AuthenticationException {
        String shortA = issuer.issue(new UserId("short-a"), Duration.ofMinutes(1));
        String shortB = issuer.issue(new UserId("short-b"), Duration.ofMinutes(1));
        String longC = issuer.issue(new UserId("long-c"), Duration.ofHours(1));
        String longD = issuer.issue(new UserId("long-d"), Duration.ofHours(1));
        authenticator.authenticate(shortA);
        authenticator.authenticate(shortB);
        Principal c = authenticator.authenticate(longC);
        Principal d = authenticator.authenticate(longD);
        assertThat(authenticator.cachedTokens()).isEqualTo(4);

        clock.set(clock.instant().plus(Duration.ofMinutes(2)));
        String longE = issuer.issue(new UserId("long-e"), Duration.ofHours(1));
        authenticator.authenticate(longE);

        assertThat(authenticator.cachedTokens()).as("c, d and e").isEqualTo(3);
        assertThat(authenticator.authenticate(longC)).isSameAs(c);
        assertThat(authenticator.authenticate(longD)).isSameAs(d);
    }

    /** A clock the test moves by hand. */
    private static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("a test clock stays in UTC");
        }
    }
}
