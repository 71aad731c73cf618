package dev.overseer.ws;

import dev.overseer.context.Principal;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.auth.TokenAuthenticator;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the caller's token in an upgrade request, in the {@code Authorization: Bearer} header or, for
 * browsers, as a {@code bearer.<jwt>} subprotocol, and verifies it with the shared authenticator.
 */
@Singleton
final class HandshakeAuthenticator {
    static final String BEARER_SUBPROTOCOL_PREFIX = "bearer.";

    private final TokenAuthenticator authenticator;

    @Inject
    HandshakeAuthenticator(TokenAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    /**
     * @param authorization the Authorization header, or null
     * @param subprotocolHeaders the values of every Sec-WebSocket-Protocol header (each comma-separated)
     */
    Principal authenticate(String authorization, List<String> subprotocolHeaders) throws AuthenticationException {
        if (authorization != null && !authorization.isBlank()) {
            return authenticator.authenticateHeader(authorization);
        }
        List<String> bearers = offeredSubprotocols(subprotocolHeaders).stream()
                .filter(protocol -> protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX))
                .toList();
        if (bearers.size() > 1) {
            throw new AuthenticationException("more than one bearer subprotocol");
        }
        if (bearers.isEmpty()) {
            throw new AuthenticationException("missing bearer token");
        }
        return authenticator.authenticate(bearers.get(0).substring(BEARER_SUBPROTOCOL_PREFIX.length()));
    }

    /** The subprotocols a client offers, in order, from every {@code Sec-WebSocket-Protocol} header. */
    static List<String> offeredSubprotocols(List<String> headers) {
        if (headers == null) {
            return List.of();
        }
        List<String> offered = new ArrayList<>();
        for (String header : headers) {
            for (String protocol : header.split(",")) {
                if (!protocol.isBlank()) {
                    offered.add(protocol.trim());
                }
            }
        }
        return offered;
    }
}
