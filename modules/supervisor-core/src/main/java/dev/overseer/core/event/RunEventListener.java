package dev.overseer.core.event;

/**
 * Receives a run's events in order. Called on the run's own thread: implementations hand the event
 * on (to a connection's outbound queue, an SSE stream) and return at once; they never block.
 */
@FunctionalInterface
public interface RunEventListener {
    void onEvent(RunEvent event);
}
