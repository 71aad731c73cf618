package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.Principal;
import dev.overseer.context.UserId;
import dev.overseer.core.auth.JwtSecret;
import dev.overseer.core.auth.TokenAuthenticator;
import dev.overseer.core.auth.TokenIssuer;
import dev.overseer.core.auth.TokenSettings;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The handshake and the opening of a connection, for the cases the upgrade gate normally keeps away: an upgrade
 * without a token, and two upgrades racing for a user's last connection slot.
 */
class OverseerEndpointTest {
    private static final JwtSecret SECRET = JwtSecret.of("endpoint-test-secret-that-is-long-enough-0123456789");
    private static final WebSocketSettings SETTINGS = new WebSocketSettings(1024, Duration.ofSeconds(25),
            Duration.ofSeconds(75), 1, 4096);

    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final ConnectionSupervision supervision = new ConnectionSupervision(SETTINGS, Clock.systemUTC());
    private final OverseerEndpointConfigurator configurator = new OverseerEndpointConfigurator(
            (context, session) -> TestConnection.of(context.userId().value()), registry, supervision,
            new HandshakeAuthenticator(new TokenAuthenticator(SECRET, new TokenSettings(TokenSettings.DEFAULT_CLOCK_SKEW), Clock.systemUTC())), SETTINGS, Clock.systemUTC());
    private final ServerEndpointConfig config = ServerEndpointConfig.Builder.create(OverseerEndpoint.class, "/ws")
            .configurator(configurator).build();
    private final String aliceToken = new TokenIssuer(SECRET, Clock.systemUTC()).issue(new UserId("alice"),
            Duration.ofHours(1));

    @AfterEach
    void stop() {
        supervision.close();
    }

    @Test
    void handshake_withAToken_recordsTheCallerForOnOpen_fromTheHeaderOrTheSubprotocol() {
        configurator.modifyHandshake(config, request(Map.of("authorization", List.of("Bearer " + aliceToken))), null);
        assertThat(((Principal) config.getUserProperties().get(OverseerEndpoint.PRINCIPAL_PROPERTY)).userId())
                .isEqualTo(new UserId("alice"));

        config.getUserProperties().clear();
        configurator.modifyHandshake(config,
                request(Map.of("Sec-WebSocket-Protocol", List.of("overseer.v1, bearer." + aliceToken))), null);
        assertThat(((Principal) config.getUserProperties().get(OverseerEndpoint.PRINCIPAL_PROPERTY)).userId())
                .isEqualTo(new UserId("alice"));
    }

    @Test
    void handshake_withoutAValidToken_recordsNoCaller() {
        config.getUserProperties().put(OverseerEndpoint.PRINCIPAL_PROPERTY,
                new Principal(new UserId("stale"), Instant.now().plusSeconds(60)));

        configurator.modifyHandshake(config, request(Map.of("Authorization", List.of("Bearer forged"))), null);

        assertThat(config.getUserProperties()).doesNotContainKey(OverseerEndpoint.PRINCIPAL_PROPERTY);
    }

    @Test
    void subprotocol_overseerV1_isSelectedOnlyWhenOffered() {
        assertThat(configurator.getNegotiatedSubprotocol(List.of("overseer.v1"), List.of("overseer.v1", "bearer.x")))
                .isEqualTo("overseer.v1");
        assertThat(configurator.getNegotiatedSubprotocol(List.of("overseer.v1"), List.of("bearer.x"))).isEmpty();
    }

    @Test
    void endpointInstance_isANewOverseerEndpointPerConnection_andNothingElse() {
        Endpoint first = configurator.getEndpointInstance(OverseerEndpoint.class);
        Endpoint second = configurator.getEndpointInstance(Endpoint.class);

        assertThat(first).isInstanceOf(OverseerEndpoint.class).isNotSameAs(second);
        assertThat(second).isInstanceOf(OverseerEndpoint.class);
        assertThatThrownBy(() -> configurator.getEndpointInstance(String.class))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onOpen_withoutACaller_closesWith1008_andRegistersNothing() {
        RecordingSession network = new RecordingSession();

        configurator.getEndpointInstance(OverseerEndpoint.class).onOpen(network.session(), config);

        assertThat(network.closes).extracting(reason -> reason.getCloseCode().getCode()).containsExactly(1008);
        assertThat(network.closes.get(0).getReasonPhrase()).isEqualTo("not authenticated");
        assertThat(registry.size()).isZero();
        assertThat(supervision.size()).isZero();
    }

    @Test
    void onOpen_beyondTheUsersConnectionLimit_closesWith1008_andKeepsTheOtherConnection() {
        TestConnection holder = TestConnection.of("alice");
        registry.register(holder, SETTINGS.maxConnectionsPerUser());
        config.getUserProperties().put(OverseerEndpoint.PRINCIPAL_PROPERTY,
                new Principal(new UserId("alice"), Instant.now().plusSeconds(60)));
        RecordingSession network = new RecordingSession();
        OverseerEndpoint endpoint = configurator.getEndpointInstance(OverseerEndpoint.class);

        endpoint.onOpen(network.session(), config);
        endpoint.onClose(network.session(), new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "too many"));

        assertThat(network.closes).extracting(CloseReason::getReasonPhrase).containsExactly("too many connections");
        assertThat(network.closes.get(0).getCloseCode().getCode()).isEqualTo(1008);
        assertThat(registry.all()).containsExactly(holder);
        assertThat(supervision.size()).isZero();
    }

    @Test
    void onOpen_thatCannotEvenClose_doesNotThrow() {
        RecordingSession network = new RecordingSession();
        network.failCloses = new IOException("broken pipe");
        OverseerEndpoint endpoint = configurator.getEndpointInstance(OverseerEndpoint.class);

        endpoint.onOpen(network.session(), config);
        endpoint.onError(network.session(), new IOException("broken pipe"));

        assertThat(registry.size()).isZero();
    }

    private static HandshakeRequest request(Map<String, List<String>> headers) {
        return (HandshakeRequest) Proxy.newProxyInstance(OverseerEndpointTest.class.getClassLoader(),
                new Class<?>[] {HandshakeRequest.class}, (self, method, args) -> {
                    if (method.getName().equals("getHeaders")) {
                        return headers;
                    }
                    throw new UnsupportedOperationException("HandshakeRequest." + method.getName());
                });
    }
}
