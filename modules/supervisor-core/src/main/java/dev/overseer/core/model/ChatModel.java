package dev.overseer.core.model;

/** A language model that takes one step of a run at a time. Implementations hold no per-run state. */
public interface ChatModel {
    /**
     * Decides the next step. Blocking is fine (runs have their own virtual threads); interruption means
     * the run was cancelled.
     */
    ModelReply next(ModelRequest request) throws ModelException, InterruptedException;
}
