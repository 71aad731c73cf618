package dev.overseer.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.overseer.context.UserId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tokens of an identity provider (SPEC §3, ADR 0025), verified with the keys a JWKS server on loopback publishes:
 * RSA and EC keys, rotation, unknown kids, the provider down, issuer, audience, expiry, and algorithm confusion.
 */
class IdentityProviderTokensTest {
    private static final JwtSecret SECRET = JwtSecret.of("identity-provider-test-secret-long-enough-0123456789");
    private static final String ISSUER = "https://idp.test/";
    private static final String AUDIENCE = "overseer";

    private final AtomicReference<JWKSet> published = new AtomicReference<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile int status = 200;
    private HttpServer provider;
    private RSAKey rsa;
    private ECKey ec;

    @BeforeEach
    void startProvider() throws Exception {
        rsa = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        ec = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
        published.set(new JWKSet(List.of(rsa.toPublicJWK(), ec.toPublicJWK())));
        provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = published.get().toString(true).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, status == 200 ? body.length : -1);
            if (status == 200) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        provider.start();
    }

    @AfterEach
    void stopProvider() {
        provider.stop(0);
    }

    private TokenAuthenticator authenticator(boolean acceptSecret, String issuer, String audience) {
        URI jwks = URI.create("http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks.json");
        return new TokenAuthenticator(SECRET, new TokenSettings(TokenSettings.DEFAULT_CLOCK_SKEW, jwks, issuer, audience,
                acceptSecret), Clock.systemUTC(), 16);
    }

    private static String token(JWSAlgorithm algorithm, String kid, JWSSigner signer, String issuer, String audience,
            Instant expires) throws Exception {
        JWSHeader header = new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).keyID(kid).build();
        SignedJWT jwt = new SignedJWT(header, new JWTClaimsSet.Builder().subject("alice").issuer(issuer)
                .audience(audience).issueTime(new Date()).expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString()).build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    private String rsaToken(RSAKey key) throws Exception {
        return token(JWSAlgorithm.RS256, key.getKeyID(), new RSASSASigner(key), ISSUER, AUDIENCE, inFiveMinutes());
    }

    private static Instant inFiveMinutes() {
        return Instant.now().plus(Duration.ofMinutes(5));
    }

    @Test
    void rs256AndEs256Tokens_ofThePublishedKeys_areTheirSubjects_withOneFetch() throws Exception {
        TokenAuthenticator authenticator = authenticator(false, ISSUER, AUDIENCE);

        assertThat(authenticator.authenticate(rsaToken(rsa)).userId()).isEqualTo(new UserId("alice"));
        assertThat(authenticator.authenticate(token(JWSAlgorithm.ES256, "ec-1", new ECDSASigner(ec), ISSUER, AUDIENCE,
                inFiveMinutes())).userId()).isEqualTo(new UserId("alice"));
        assertThat(fetches.get()).isEqualTo(1);
    }

    @Test
    void aRotatedKey_isFetchedForItsUnknownKid_atMostOnceEveryTenSeconds() throws Exception {
        TokenAuthenticator authenticator = authenticator(false, ISSUER, AUDIENCE);
        authenticator.authenticate(rsaToken(rsa));
        RSAKey rotated = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        published.set(new JWKSet(List.of(rotated.toPublicJWK(), ec.toPublicJWK())));

        // Right after a fetch, unknown kids do not make the provider fetched again, however many come.
        for (int i = 0; i < 20; i++) {
            String unknown = token(JWSAlgorithm.RS256, "kid-" + i, new RSASSASigner(rotated), ISSUER, AUDIENCE,
                    inFiveMinutes());
            assertThatThrownBy(() -> authenticator.authenticate(unknown)).isInstanceOf(AuthenticationException.class);
        }
        assertThat(fetches.get()).isEqualTo(1);

        Thread.sleep(10_500);
        assertThat(authenticator.authenticate(rsaToken(rotated)).userId()).isEqualTo(new UserId("alice"));
        assertThat(fetches.get()).isEqualTo(2);
    }

    @Test
    void whileTheProviderIsDown_theKeysFetchedBeforeKeepWorking() throws Exception {
        TokenAuthenticator authenticator = authenticator(false, ISSUER, AUDIENCE);
        authenticator.authenticate(rsaToken(rsa));
        status = 503;
        Thread.sleep(10_500);

        // A token of a key it does not know makes it try the provider, which fails; the known key still verifies.
        String unknown = token(JWSAlgorithm.RS256, "rsa-9", new RSASSASigner(rsa), ISSUER, AUDIENCE, inFiveMinutes());
        assertThatThrownBy(() -> authenticator.authenticate(unknown)).isInstanceOf(AuthenticationException.class);
        assertThat(fetches.get()).isGreaterThanOrEqualTo(2);
        assertThat(authenticator.authenticate(rsaToken(rsa)).userId()).isEqualTo(new UserId("alice"));
    }

    @Test
    void theWrongIssuer_theWrongAudience_orExpired_isRefused() throws Exception {
        TokenAuthenticator authenticator = authenticator(false, ISSUER, AUDIENCE);
        RSASSASigner signer = new RSASSASigner(rsa);

        assertThatThrownBy(() -> authenticator.authenticate(token(JWSAlgorithm.RS256, "rsa-1", signer,
                "https://evil.test/", AUDIENCE, inFiveMinutes()))).hasMessage("invalid token issuer");
        assertThatThrownBy(() -> authenticator.authenticate(token(JWSAlgorithm.RS256, "rsa-1", signer, ISSUER,
                "someone-else", inFiveMinutes()))).hasMessage("invalid token audience");
        assertThatThrownBy(() -> authenticator.authenticate(token(JWSAlgorithm.RS256, "rsa-1", signer, ISSUER,
                AUDIENCE, Instant.now().minus(Duration.ofMinutes(5))))).hasMessage("token expired");
        // A list of audiences that holds ours is ours.
        SignedJWT several = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1").build(),
                new JWTClaimsSet.Builder().subject("alice").issuer(ISSUER).audience(List.of("other", AUDIENCE))
                        .expirationTime(Date.from(inFiveMinutes())).build());
        several.sign(signer);
        assertThat(authenticator.authenticate(several.serialize()).userId()).isEqualTo(new UserId("alice"));
    }

    @Test
    void algorithmConfusion_noneAndAKeyOfTheWrongKind_findNoKey() throws Exception {
        TokenAuthenticator providerOnly = authenticator(false, null, null);
        TokenAuthenticator both = authenticator(true, null, null);
        // HS256 with the provider's public key as the HMAC secret.
        byte[] publicKey = rsa.toRSAPublicKey().getEncoded();
        String confused = token(JWSAlgorithm.HS256, "rsa-1", new MACSigner(publicKey), null, null, inFiveMinutes());
        assertThatThrownBy(() -> providerOnly.authenticate(confused)).hasMessage("invalid token");
        assertThatThrownBy(() -> both.authenticate(confused)).hasMessage("invalid token");
        // ES256 claiming the RSA key's kid, and RS256 claiming the EC key's.
        assertThatThrownBy(() -> providerOnly.authenticate(token(JWSAlgorithm.ES256, "rsa-1", new ECDSASigner(ec), null,
                null, inFiveMinutes()))).hasMessage("invalid token");
        assertThatThrownBy(() -> providerOnly.authenticate(token(JWSAlgorithm.RS256, "ec-1", new RSASSASigner(rsa),
                null, null, inFiveMinutes()))).hasMessage("invalid token");
        // alg none.
        String header = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"alg\":\"none\",\"kid\":\"rsa-1\"}".getBytes(StandardCharsets.UTF_8));
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(("{\"sub\":\"alice\",\"exp\":"
                + inFiveMinutes().getEpochSecond() + "}").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> both.authenticate(header + "." + payload + ".")).hasMessage("invalid token");
        // A key the provider does not publish, under a kid it does.
        RSAKey impostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        assertThatThrownBy(() -> providerOnly.authenticate(rsaToken(impostor))).hasMessage("invalid token");
    }

    @Test
    void hs256WithTheSecret_stillWorksBesideTheProvider_unlessOnlyTheProviderIsConfigured() throws Exception {
        String ours = new TokenIssuer(SECRET, Clock.systemUTC()).issue(new UserId("bob"), Duration.ofMinutes(5));

        assertThat(authenticator(true, null, null).authenticate(ours).userId()).isEqualTo(new UserId("bob"));
        assertThatThrownBy(() -> authenticator(false, null, null).authenticate(ours)).hasMessage("invalid token");
        // Our own tokens carry the issuer and audience the settings require.
        TokenSettings required = new TokenSettings(TokenSettings.DEFAULT_CLOCK_SKEW, null, ISSUER, AUDIENCE, true);
        String minted = new TokenIssuer(SECRET, required, Clock.systemUTC()).issue(new UserId("bob"), Duration.ofMinutes(5));
        assertThat(new TokenAuthenticator(SECRET, required, Clock.systemUTC()).authenticate(minted).userId())
                .isEqualTo(new UserId("bob"));
        assertThat(fetches.get()).isZero();
    }
}
