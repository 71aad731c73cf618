package dev.overseer.context;

/** The id of a message stored on a thread: `msg_` followed by letters and digits. */
public record MessageId(String value) {
    public static final String PREFIX = "msg_";

    public MessageId {
        IdFormat.requirePrefixed("message id", PREFIX, value);
    }

    /** Parses an id that came from outside; throws {@link InvalidIdException} with a client-facing reason. */
    public static MessageId parse(String value) {
        return new MessageId(value);
    }

    /** A new, unique, time-ordered id. */
    public static MessageId generate() {
        return new MessageId(IdFormat.generate(PREFIX));
    }

    @Override
    public String toString() {
        return value;
    }
}
