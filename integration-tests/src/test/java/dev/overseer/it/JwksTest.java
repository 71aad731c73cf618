package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.overseer.app.ConfigException;
import dev.overseer.app.OverseerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokens of an identity provider through the real server (SPEC §3, ADR 0025): one authenticator for both transports,
 * with the provider's keys from a JWKS server on loopback and the configured issuer and audience.
 */
class JwksTest {
    private static final String ISSUER = "https://idp.test/";
    private static HttpServer provider;
    private static RSAKey key;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("it-1").generate();
        byte[] jwks = new JWKSet(key.toPublicJWK()).toString(true).getBytes(StandardCharsets.UTF_8);
        provider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        provider.createContext("/jwks.json", exchange -> {
            exchange.sendResponseHeaders(200, jwks.length);
            exchange.getResponseBody().write(jwks);
            exchange.close();
        });
        provider.start();
        server = TestServer.start(Map.of(
                "OVERSEER_JWT_JWKS_URL", "http://127.0.0.1:" + provider.getAddress().getPort() + "/jwks.json",
                "OVERSEER_JWT_ISSUER", ISSUER, "OVERSEER_JWT_AUDIENCE", "overseer"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (provider != null) {
            provider.stop(0);
        }
    }

    private static String token(String user, String audience) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
                .keyID("it-1").build(), new JWTClaimsSet.Builder().subject(user).issuer(ISSUER).audience(audience)
                .expirationTime(Date.from(Instant.now().plusSeconds(300))).build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Test
    void aProvidersToken_opensBothTransports_asItsSubject() throws Exception {
        String token = token("idp-alice", "overseer");

        Http.Response created = new Http(server, token).post("/api/threads", "{}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        try (WsClient client = WsClient.connect(server, token)) {
            JsonNode established = client.next();
            assertThat(established.path("type").asText()).isEqualTo("connection_established");
            assertThat(established.path("user_id").asText()).isEqualTo("idp-alice");
        }
    }

    @Test
    void anotherAudience_orAnHs256TokenWithoutTheIssuer_is401() throws Exception {
        assertThat(new Http(server, token("idp-alice", "another-service")).get("/api/threads").status()).isEqualTo(401);
        assertThat(new Http(server, Jwts.signed(TestServer.SECRET, "alice")).get("/api/threads").status()).isEqualTo(401);
        // The server's own tokens (the token command) carry the issuer and audience it requires.
        assertThat(new Http(server, server.token("alice")).get("/api/threads").status()).isEqualTo(200);
    }

    @Test
    void aJwksUrlThatIsNotHttp_stopsStartUp() {
        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(Map.of("OVERSEER_JWT_JWKS_URL", "ftp://idp/jwks"), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("OVERSEER_JWT_JWKS_URL must be an http or https URL");
    }
}
