package dev.overseer.core.store;

/**
 * The life of a run: queued, running (and requires_action while a tool call waits for a person's approval), then
 * exactly one of completed, failed, cancelled.
 */
public enum RunStatus {
    QUEUED("queued"),
    RUNNING("running"),
    REQUIRES_ACTION("requires_action"),
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled");

    private final String wire;

    RunStatus(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public boolean active() {
        return this == QUEUED || this == RUNNING || this == REQUIRES_ACTION;
    }

    public static RunStatus fromWire(String wire) {
        for (RunStatus status : values()) {
            if (status.wire.equals(wire)) {
                return status;
            }
        }
        throw new IllegalArgumentException("unknown run status " + wire);
    }
}
