package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.Principal;
import dev.overseer.context.UserId;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.auth.JwtSecret;
import dev.overseer.core.auth.TokenAuthenticator;
import dev.overseer.core.auth.TokenIssuer;
import dev.overseer.core.auth.TokenSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where an upgrade request may carry its token (SPEC §3): the Authorization header, or a bearer subprotocol. */
class HandshakeAuthenticatorTest {
    private static final JwtSecret SECRET = JwtSecret.of("handshake-test-secret-that-is-long-enough-0123456789");
    private final TokenIssuer issuer = new TokenIssuer(SECRET, Clock.systemUTC());
    private final HandshakeAuthenticator authenticator =
            new HandshakeAuthenticator(new TokenAuthenticator(SECRET, new TokenSettings(TokenSettings.DEFAULT_CLOCK_SKEW), Clock.systemUTC()));
    private final String alice = issuer.issue(new UserId("alice"), Duration.ofHours(1));

    @Test
    void authorizationHeader_withABearerToken_isTheCaller() throws AuthenticationException {
        Principal principal = authenticator.authenticate("Bearer " + alice, null);

        assertThat(principal.userId()).isEqualTo(new UserId("alice"));
    }

    @Test
    void bearerSubprotocol_nextToOverseerV1_isTheCaller_asBrowsersSendIt() throws AuthenticationException {
        assertThat(authenticator.authenticate(null, List.of("overseer.v1, bearer." + alice)).userId())
                .isEqualTo(new UserId("alice"));
        assertThat(authenticator.authenticate("  ", List.of("overseer.v1", " bearer." + alice + " ")).userId())
                .isEqualTo(new UserId("alice"));
    }

    @Test
    void authorizationHeader_winsOverTheSubprotocol_evenWhenItIsTheBadOne() {
        assertThatThrownBy(() -> authenticator.authenticate("Bearer not-a-jwt", List.of("overseer.v1, bearer." + alice)))
                .isInstanceOf(AuthenticationException.class)
                .hasMessage("invalid token");
    }

    @Test
    void noTokenAnywhere_isMissingBearerToken() {
        assertThatThrownBy(() -> authenticator.authenticate(null, null))
                .isInstanceOf(AuthenticationException.class).hasMessage("missing bearer token");
        assertThatThrownBy(() -> authenticator.authenticate("", List.of("overseer.v1")))
                .isInstanceOf(AuthenticationException.class).hasMessage("missing bearer token");
    }

    @Test
    void badTokens_areRefused_withoutSayingMoreThanWhy() {
        String expired = issuer.issue(new UserId("alice"), Duration.ofSeconds(-120));
        assertThatThrownBy(() -> authenticator.authenticate(null, List.of("overseer.v1, bearer." + expired)))
                .isInstanceOf(AuthenticationException.class).hasMessage("token expired");
        assertThatThrownBy(() -> authenticator.authenticate(null, List.of("bearer.nope")))
                .isInstanceOf(AuthenticationException.class).hasMessage("invalid token");
        assertThatThrownBy(() -> authenticator.authenticate("Basic YWxpY2U6c2VjcmV0", null))
                .isInstanceOf(AuthenticationException.class)
                .hasMessage("the Authorization header must be 'Bearer <token>'");
        String alice = issuer.issue(new UserId("alice"), Duration.ofMinutes(5));
        assertThatThrownBy(() -> authenticator.authenticate(null, List.of("overseer.v1, bearer." + alice, "bearer." + alice)))
                .isInstanceOf(AuthenticationException.class).hasMessage("more than one bearer subprotocol");
    }
}
