package dev.overseer.ws;

import dev.overseer.context.ConnectionId;
import dev.overseer.context.Principal;
import dev.overseer.context.TraceParent;
import dev.overseer.context.WebSocketContext;
import io.undertow.websockets.jsr.UndertowSession;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSR-356 endpoint of one connection. Made by {@link OverseerEndpointConfigurator} (never by
 * reflection); in {@code onOpen} it builds the connection's {@link ConnectionComponent} and hands every
 * message, as {@link InboundFrames} reads it, to it.
 */
final class OverseerEndpoint extends Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(OverseerEndpoint.class);
    static final String PRINCIPAL_PROPERTY = "overseer.principal";
    static final String TRACE_PARENT_PROPERTY = "overseer.traceparent";

    private final ConnectionComponent.Factory components;
    private final ConnectionRegistry registry;
    private final ConnectionSupervision supervision;
    private final WebSocketSettings settings;
    private final Clock clock;
    private ConnectionComponent connection;

    OverseerEndpoint(ConnectionComponent.Factory components, ConnectionRegistry registry,
            ConnectionSupervision supervision, WebSocketSettings settings, Clock clock) {
        this.components = components;
        this.registry = registry;
        this.supervision = supervision;
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public void onOpen(Session session, EndpointConfig config) {
        Principal principal = (Principal) config.getUserProperties().get(PRINCIPAL_PROPERTY);
        if (principal == null) {
            closeQuietly(session, new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "not authenticated"));
            return;
        }
        WebSocketContext context = new WebSocketContext(ConnectionId.generate(), principal, clock.instant(),
                Optional.ofNullable((TraceParent) config.getUserProperties().get(TRACE_PARENT_PROPERTY)));
        ConnectionComponent component = components.create(context, session);
        if (!registry.register(component, settings.maxConnectionsPerUser())) {
            context.markClosed();
            closeQuietly(session, new CloseReason(CloseReason.CloseCodes.VIOLATED_POLICY, "too many connections"));
            return;
        }
        connection = component;
        session.setMaxIdleTimeout(0);
        ClientFrameHandler handler = component.frameHandler();
        UndertowSession undertow = (UndertowSession) session;
        undertow.setReceiveListener(new InboundFrames(undertow, settings.maxMessageBytes(), handler::onText,
                () -> context.touch(clock.instant())));
        component.outbox().send(ServerFrames.connectionEstablished(context, settings, clock.instant()));
        supervision.opened(component, session);
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        ConnectionComponent component = connection;
        if (component == null || !component.context().markClosed()) {
            return;
        }
        connection = null;
        supervision.closed(component);
        component.frameHandler().connectionClosed();
        registry.unregister(component);
    }

    @Override
    public void onError(Session session, Throwable error) {
        LOG.debug("connection error on {}", session.getId(), error);
    }

    private static void closeQuietly(Session session, CloseReason reason) {
        try {
            session.close(reason);
        } catch (Exception e) {
            LOG.debug("closing {} failed", session.getId(), e);
        }
    }
}
