package dev.overseer.core.store;

/** The life of a run: queued, running, then exactly one of completed, failed, cancelled. */
public enum RunStatus {
    QUEUED("queued"),
    RUNNING("running"),
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
        return this == QUEUED || this == RUNNING;
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
