package dev.overseer.core.run;

import java.util.Locale;

/** A request about a run that the core refused; transports turn it into an error frame or a problem. */
public final class RunRejectedException extends RuntimeException {
    /** Why the request was refused; {@link #wire()} is the error code clients see. */
    public enum Reason {
        INVALID_MESSAGE,
        NOT_FOUND,
        THREAD_BUSY,
        TOO_MANY_RUNS,
        RUN_NOT_ACTIVE,
        UNAVAILABLE;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public RunRejectedException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
