package dev.overseer.ws;

import dev.overseer.context.Principal;
import dev.overseer.context.TraceParent;
import dev.overseer.core.auth.AuthenticationException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.websocket.Endpoint;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Hands Undertow an endpoint built from the graph for each connection, and records the caller's
 * {@link Principal} in the per-connection handshake properties, where {@code onOpen} reads it back.
 */
@Singleton
final class OverseerEndpointConfigurator extends ServerEndpointConfig.Configurator {
    private final ConnectionComponent.Factory components;
    private final ConnectionRegistry registry;
    private final ConnectionSupervision supervision;
    private final HandshakeAuthenticator authenticator;
    private final WebSocketSettings settings;
    private final Clock clock;

    @Inject
    OverseerEndpointConfigurator(ConnectionComponent.Factory components, ConnectionRegistry registry,
            ConnectionSupervision supervision, HandshakeAuthenticator authenticator, WebSocketSettings settings,
            Clock clock) {
        this.components = components;
        this.registry = registry;
        this.supervision = supervision;
        this.authenticator = authenticator;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
        Map<String, List<String>> headers = request.getHeaders();
        try {
            Principal principal = authenticator.authenticate(first(headers, "Authorization"),
                    all(headers, "Sec-WebSocket-Protocol"));
            sec.getUserProperties().put(OverseerEndpoint.PRINCIPAL_PROPERTY, principal);
            // The runs this connection starts are children of the trace its handshake names, if any.
            TraceParent.fromHeader(first(headers, "traceparent")).ifPresentOrElse(
                    parent -> sec.getUserProperties().put(OverseerEndpoint.TRACE_PARENT_PROPERTY, parent),
                    () -> sec.getUserProperties().remove(OverseerEndpoint.TRACE_PARENT_PROPERTY));
        } catch (AuthenticationException e) {
            // The upgrade gate already refused such requests; onOpen closes the socket if one slips through.
            sec.getUserProperties().remove(OverseerEndpoint.PRINCIPAL_PROPERTY);
        }
    }

    @Override
    public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
        return requested.contains(ServerFrames.PROTOCOL) ? ServerFrames.PROTOCOL : "";
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getEndpointInstance(Class<T> endpointClass) {
        if (!endpointClass.isAssignableFrom(OverseerEndpoint.class)) {
            throw new IllegalArgumentException("this configurator only makes Overseer endpoints, not " + endpointClass);
        }
        Endpoint endpoint = new OverseerEndpoint(components, registry, supervision, settings, clock);
        return (T) endpoint;
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = all(headers, name);
        return values.isEmpty() ? null : values.get(0);
    }

    private static List<String> all(Map<String, List<String>> headers, String name) {
        for (Map.Entry<String, List<String>> header : headers.entrySet()) {
            if (header.getKey().equalsIgnoreCase(name)) {
                return header.getValue();
            }
        }
        return List.of();
    }
}
