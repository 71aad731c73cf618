package dev.overseer.ws;

import dev.overseer.context.Principal;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.auth.CorsPolicy;
import dev.overseer.core.json.Json;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import io.undertow.util.StatusCodes;
import java.util.List;

/**
 * Stands in front of {@code GET /ws} and refuses, as a problem before any socket exists: every upgrade during
 * shutdown (503); any method but GET (405, so that TRACE echoes nothing); a request that is not a WebSocket
 * upgrade (426); a browser origin {@code OVERSEER_CORS_ORIGINS} does not list (403); subprotocols offered
 * without {@code overseer.v1} (400); an upgrade without a valid token (401); one over the user's connection
 * limit (429). Rules and order: {@code docs/websocket-protocol.md}.
 */
final class UpgradeGate implements HttpHandler {
    private final HandshakeAuthenticator authenticator;
    private final CorsPolicy origins;
    private final ConnectionRegistry connections;
    private final WebSocketSettings settings;
    private final HttpHandler next;
    private volatile boolean refusing;

    UpgradeGate(HandshakeAuthenticator authenticator, CorsPolicy origins, ConnectionRegistry connections,
            WebSocketSettings settings, HttpHandler next) {
        this.authenticator = authenticator;
        this.origins = origins;
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
        HeaderMap headers = exchange.getRequestHeaders();
        if (!exchange.getRequestMethod().equals(Methods.GET)) {
            exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
            refuse(exchange, StatusCodes.METHOD_NOT_ALLOWED, "method_not_allowed",
                    exchange.getRequestMethod() + " is not allowed on " + WebSocketTransport.PATH + "; allowed: GET");
            return;
        }
        if (!"websocket".equalsIgnoreCase(headers.getFirst(Headers.UPGRADE))) {
            exchange.getResponseHeaders().put(Headers.UPGRADE, "websocket");
            refuse(exchange, StatusCodes.UPGRADE_REQUIRED, "upgrade_required",
                    WebSocketTransport.PATH + " only answers WebSocket upgrades (Upgrade: websocket)");
            return;
        }
        if (!origins.mayUpgrade(headers.getFirst(Headers.ORIGIN))) {
            refuse(exchange, StatusCodes.FORBIDDEN, "origin_not_allowed",
                    "origin " + abbreviate(headers.getFirst(Headers.ORIGIN)) + " is not in OVERSEER_CORS_ORIGINS");
            return;
        }
        List<String> offered = HandshakeAuthenticator.offeredSubprotocols(headers.get(Headers.SEC_WEB_SOCKET_PROTOCOL));
        if (!offered.isEmpty() && !offered.contains(ServerFrames.PROTOCOL)) {
            refuse(exchange, StatusCodes.BAD_REQUEST, "unsupported_subprotocol",
                    "the subprotocols offered must include " + ServerFrames.PROTOCOL);
            return;
        }
        Principal principal;
        try {
            principal = authenticator.authenticate(
                    headers.getFirst(Headers.AUTHORIZATION), headers.get(Headers.SEC_WEB_SOCKET_PROTOCOL));
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

    private static String abbreviate(String text) {
        return text.length() <= 100 ? text : text.substring(0, 100) + "…";
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
