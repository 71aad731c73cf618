package dev.overseer.http;

import java.util.Set;

/** Which browser origins may call the API ({@code OVERSEER_CORS_ORIGINS}): none, a list, or any ({@code *}). */
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
}
