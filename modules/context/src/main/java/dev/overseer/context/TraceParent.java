package dev.overseer.context;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The caller's place in a distributed trace: a W3C {@code traceparent} value, as a client sent it with an HTTP
 * request or a WebSocket handshake (or as the HTTP transport's own request span has it). A run started by that
 * caller is a child of it. Transports pass it through; only the core reads it.
 */
public record TraceParent(String value) {
    /** {@code version-traceid-parentid-flags}; versions after 00 may append fields, which are kept. */
    private static final Pattern FORMAT = Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?");
    private static final int MAX_LENGTH = 512;

    public TraceParent {
        Objects.requireNonNull(value, "value");
        if (value.length() > MAX_LENGTH || !FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException("not a W3C traceparent: " + value);
        }
    }

    /** The header's value as a trace parent; a missing or malformed one is ignored, as W3C Trace Context asks. */
    public static Optional<TraceParent> fromHeader(String header) {
        if (header == null) {
            return Optional.empty();
        }
        String value = header.strip();
        return value.length() <= MAX_LENGTH && FORMAT.matcher(value).matches()
                ? Optional.of(new TraceParent(value))
                : Optional.empty();
    }
}
