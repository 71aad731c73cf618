package dev.overseer.core.model;

/** A language model that takes one step of a run at a time. Implementations hold no per-run state. */
public interface ChatModel {
    /**
     * Decides the next step. Answer text may be streamed to {@code stream} as it is produced; the final
     * {@link ModelReply.Answer} then holds the whole of it. Blocking is fine (runs have their own virtual
     * threads); interruption means the run was cancelled and must end the call at once.
     */
    ModelReply next(ModelRequest request, TextStream stream) throws ModelException, InterruptedException;

    /** Who serves the model, as OpenTelemetry's {@code gen_ai.provider.name} names it. */
    default String provider() {
        return "overseer.offline";
    }

    /** The model a request goes to (the agent's, else the configured default). */
    default String modelName(ModelRequest request) {
        return request.model() == null ? "offline" : request.model();
    }

    /**
     * The state of the model's endpoint, for {@code /readyz}; empty for a model without one (the offline model). It
     * may ask the endpoint, so callers do not call it on a run's path.
     */
    default java.util.Optional<ModelHealth> health() {
        return java.util.Optional.empty();
    }

    /** Whether the model reads the thread's earlier messages (loading them costs a query per run). */
    default boolean usesHistory() {
        return false;
    }
}
