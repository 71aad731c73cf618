package dev.overseer.context;

/** The id of a run, one execution of an agent on a thread: `run_` followed by letters and digits. */
public record RunId(String value) {
    public static final String PREFIX = "run_";

    public RunId {
        IdFormat.requirePrefixed("run id", PREFIX, value);
    }

    /** Parses an id that came from outside; throws {@link InvalidIdException} with a client-facing reason. */
    public static RunId parse(String value) {
        return new RunId(value);
    }

    /** A new, unique, time-ordered id. */
    public static RunId generate() {
        return new RunId(IdFormat.generate(PREFIX));
    }

    @Override
    public String toString() {
        return value;
    }
}
