package dev.overseer.ws;

import dev.overseer.context.Principal;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.auth.TokenAuthenticator;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
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
        if (subprotocolHeaders != null) {
            for (String header : subprotocolHeaders) {
                for (String offered : header.split(",")) {
                    String protocol = offered.trim();
                    if (protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX)) {
                        return authenticator.authenticate(protocol.substring(BEARER_SUBPROTOCOL_PREFIX.length()));
                    }
                }
            }
        }
        throw new AuthenticationException("missing bearer token");
    }
}
