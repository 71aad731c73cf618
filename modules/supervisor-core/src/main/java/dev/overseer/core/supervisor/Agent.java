package dev.overseer.core.supervisor;

import java.util.List;
import java.util.Objects;

/** An agent a run can execute: its name, what it is for, its instructions, the tools it may call. */
public record Agent(String name, String description, String systemPrompt, List<String> tools) {
    public Agent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        tools = List.copyOf(tools);
    }
}
