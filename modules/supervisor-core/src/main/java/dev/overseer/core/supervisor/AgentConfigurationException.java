package dev.overseer.core.supervisor;

/** The agents file names something that does not exist (a tool) or clashes (an agent named like a tool). */
public final class AgentConfigurationException extends RuntimeException {
    public AgentConfigurationException(String message) {
        super(message, null, false, false);
    }
}
