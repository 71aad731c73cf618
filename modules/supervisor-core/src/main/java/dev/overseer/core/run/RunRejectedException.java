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
        APPROVAL_NOT_PENDING,
        RATE_LIMITED,
        UNAVAILABLE;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;
    private final long retryAfterMillis;

    public RunRejectedException(Reason reason, String message) {
        this(reason, message, 0);
    }

    public RunRejectedException(Reason reason, String message, long retryAfterMillis) {
        super(message, null, false, false);
        this.reason = reason;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** When positive (rate limited, database unavailable): how long to wait before trying again. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    public Reason reason() {
        return reason;
    }
}
