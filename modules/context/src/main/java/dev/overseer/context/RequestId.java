package dev.overseer.context;

/** The id of one HTTP request: generated ({@code req_…}) or accepted from the client's {@code X-Request-Id}. */
public record RequestId(String value) {
    public static final String PREFIX = "req_";

    public RequestId {
        IdFormat.requireWellFormed("request id", value);
    }

    /** A new, unique request id. */
    public static RequestId generate() {
        return new RequestId(IdFormat.generate(PREFIX));
    }

    @Override
    public String toString() {
        return value;
    }
}
