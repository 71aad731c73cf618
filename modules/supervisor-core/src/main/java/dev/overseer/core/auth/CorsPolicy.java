package dev.overseer.core.auth;

import java.util.Set;

/**
 * Which browser origins may call the API and open WebSockets ({@code OVERSEER_CORS_ORIGINS}): none configured,
 * a list, or any ({@code *}).
 */
public record CorsPolicy(Set<String> origins, boolean anyOrigin) {
    public static final CorsPolicy NONE = new CorsPolicy(Set.of(), false);

    public CorsPolicy {
        origins = Set.copyOf(origins);
    }

    /** Parses a comma-separated list of origins, or {@code *}; blank means no cross-origin access. */
    public static CorsPolicy parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        if (value.trim().equals("*")) {
            return new CorsPolicy(Set.of(), true);
        }
        return new CorsPolicy(Set.of(value.split("\\s*,\\s*")), false);
    }

    public boolean allows(String origin) {
        return origin != null && (anyOrigin || origins.contains(origin));
    }

    /**
     * Whether a WebSocket upgrade with this {@code Origin} may go on: with no origins configured any may (tokens,
     * not cookies, authenticate, so another site's page gains nothing), as may a client that sends none (not
     * a browser); with origins configured a browser's must be one of them.
     */
    public boolean mayUpgrade(String origin) {
        return origin == null || this.equals(NONE) || allows(origin);
    }
}
