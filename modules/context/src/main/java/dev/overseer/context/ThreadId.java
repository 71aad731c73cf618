package dev.overseer.context;

/** The id of a conversation thread: `thr_` followed by letters and digits. */
public record ThreadId(String value) {
    public static final String PREFIX = "thr_";

    public ThreadId {
        IdFormat.requirePrefixed("thread id", PREFIX, value);
    }

    /** Parses an id that came from outside; throws {@link InvalidIdException} with a client-facing reason. */
    public static ThreadId parse(String value) {
        return new ThreadId(value);
    }

    /** A new, unique, time-ordered id. */
    public static ThreadId generate() {
        return new ThreadId(IdFormat.generate(PREFIX));
    }

    @Override
    public String toString() {
        return value;
    }
}
