package dev.overseer.core.model;

/**
 * The run's side of a model call: receives the answer text as it is produced, piece by piece, on the
 * run's thread, and tells the model whether the run was asked to stop (a model blocked in I/O that does
 * not notice interruption checks this to abort its request at once).
 */
@FunctionalInterface
public interface TextStream {
    TextStream IGNORE = text -> {
    };

    void delta(String text);

    /** Whether the run was cancelled, timed out or is being shut down. */
    default boolean stopRequested() {
        return Thread.currentThread().isInterrupted();
    }
}
