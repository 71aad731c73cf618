package dev.overseer.core.supervisor;

import java.util.List;
import java.util.Objects;

/**
 * An agent a run can execute: its name, what it is for (the supervisor reads this when it delegates), its
 * instructions, its model (null for the configured default), the tools it may call, the agents it
 * may delegate to, and the calls a person must approve first ({@code require_approval}: names or patterns).
 */
public record Agent(String name, String description, String systemPrompt, String model, List<String> tools,
        List<String> delegates, List<String> requireApproval) {
    public Agent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(systemPrompt, "systemPrompt");
        tools = List.copyOf(tools);
        delegates = List.copyOf(delegates);
        requireApproval = List.copyOf(requireApproval);
    }

    /** Whether a call of this tool (or delegation to this agent) waits for the user's approval. */
    public boolean requiresApproval(String tool) {
        return requireApproval.stream().anyMatch(entry -> ToolNames.matches(entry, tool));
    }
}
