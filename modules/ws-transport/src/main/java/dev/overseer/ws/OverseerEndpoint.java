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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
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
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.overseer.access");

    private final ConnectionComponent.Factory components;
    private final ConnectionRegistry registry;
    private final ConnectionSupervision supervision;
    private final WebSocketSettings settings;
    private final Clock clock;
    private ConnectionComponent connection;
    /** Text frames the client sent. */
    private final AtomicLong framesIn = new AtomicLong();

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
        undertow.setReceiveListener(new InboundFrames(undertow, settings.maxMessageBytes(), text -> {
            framesIn.incrementAndGet();
            handler.onText(text);
        }, () -> context.touch(clock.instant())));
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
        logClose(component, reason);
    }

    /** The access log's line for a connection: one when it closes, as an HTTP request has one when it is answered. */
    private void logClose(ConnectionComponent component, CloseReason reason) {
        if (!ACCESS.isInfoEnabled()) {
            return;
        }
        WebSocketContext context = component.context();
        long millis = Duration.between(context.connectedAt(), clock.instant()).toMillis();
        int code = reason == null ? CloseReason.CloseCodes.NO_STATUS_CODE.getCode() : reason.getCloseCode().getCode();
        long in = framesIn.get();
        long out = component.outbox().framesOut();
        ACCESS.atInfo()
                .addKeyValue("method", "GET")
                .addKeyValue("route", WebSocketTransport.PATH)
                .addKeyValue("connection_id", context.connectionId().value())
                .addKeyValue("user_id", context.userId().value())
                .addKeyValue("close_code", code)
                .addKeyValue("duration_ms", millis)
                .addKeyValue("frames_in", in)
                .addKeyValue("frames_out", out)
                .log("WS {} closed {} {}ms connection_id={} user={} frames_in={} frames_out={}", WebSocketTransport.PATH,
                        code, millis, context.connectionId().value(), context.userId().value(), in, out);
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
