package dev.overseer.ws;

import dev.overseer.context.Principal;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.json.Json;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;

/**
 * Stands in front of {@code GET /ws}: an upgrade without a valid token is refused with 401, one over the
 * user's connection limit with 429, and every upgrade during shutdown with 503, all as plain HTTP before
 * any socket exists.
 */
final class UpgradeGate implements HttpHandler {
    private final HandshakeAuthenticator authenticator;
    private final ConnectionRegistry connections;
    private final WebSocketSettings settings;
    private final HttpHandler next;
    private volatile boolean refusing;

    UpgradeGate(HandshakeAuthenticator authenticator, ConnectionRegistry connections, WebSocketSettings settings,
            HttpHandler next) {
        this.authenticator = authenticator;
        this.connections = connections;
        this.settings = settings;
        this.next = next;
    }

    /** From now on every upgrade is refused with 503: the server is shutting down. */
    void refuseAll() {
        refusing = true;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        if (refusing) {
            refuse(exchange, StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "the server is shutting down");
            return;
        }
        Principal principal;
        try {
            principal = authenticator.authenticate(
                    exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION),
                    exchange.getRequestHeaders().get(Headers.SEC_WEB_SOCKET_PROTOCOL));
        } catch (AuthenticationException e) {
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
            refuse(exchange, StatusCodes.UNAUTHORIZED, "unauthorized", e.getMessage());
            return;
        }
        if (connections.count(principal.userId()) >= settings.maxConnectionsPerUser()) {
            refuse(exchange, StatusCodes.TOO_MANY_REQUESTS, "too_many_connections",
                    "at most " + settings.maxConnectionsPerUser() + " connections per user");
            return;
        }
        next.handleRequest(exchange);
    }

    private static void refuse(HttpServerExchange exchange, int status, String code, String detail) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/problem+json");
        exchange.getResponseSender().send(Json.write(Json.object()
                .put("type", "about:blank")
                .put("title", StatusCodes.getReason(status))
                .put("status", status)
                .put("detail", detail)
                .put("code", code)));
    }
}
