package dev.overseer.core.supervisor;

import java.util.List;
import java.util.Objects;

/**
 * An agent a run can execute: its name, what it is for (the supervisor reads this when it delegates), its
 * instructions, its model (null for the configured default), the tools it may call, and the agents it
 * may delegate to.
 */
public record Agent(String name, String description, String systemPrompt, String model, List<String> tools,
        List<String> delegates) {
    public Agent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        tools = List.copyOf(tools);
        delegates = List.copyOf(delegates);
    }
}
