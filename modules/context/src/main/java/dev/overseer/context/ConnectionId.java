package dev.overseer.context;

/** The id of a WebSocket connection: `conn_` followed by letters and digits. */
public record ConnectionId(String value) {
    public static final String PREFIX = "conn_";

    public ConnectionId {
        IdFormat.requirePrefixed("connection id", PREFIX, value);
    }

    /** Parses an id that came from outside; throws {@link InvalidIdException} with a client-facing reason. */
    public static ConnectionId parse(String value) {
        return new ConnectionId(value);
    }

    /** A new, unique, time-ordered id. */
    public static ConnectionId generate() {
        return new ConnectionId(IdFormat.generate(PREFIX));
    }

    @Override
    public String toString() {
        return value;
    }
}
