package dev.overseer.core.supervisor;

/** A request to start a run: the user's text, the agent (null for the default), whether the thread is new. */
public record RunStart(String content, String agent, boolean newThread) {
}
