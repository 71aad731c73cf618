package dev.overseer.core.supervisor;

import dev.overseer.core.tool.CalculatorTool;
import dev.overseer.core.tool.ClockTool;
import dev.overseer.core.tool.WaitTool;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.Optional;

/** The agents runs may name; {@code supervisor} is the default and orchestrates the tools. */
@Singleton
public final class AgentCatalog {
    public static final String DEFAULT_AGENT = "supervisor";

    private final List<Agent> agents = List.of(new Agent(
            DEFAULT_AGENT,
            "Orchestrates the work of a run and answers the user.",
            "You are Overseer's supervisor. Use the tools you are given when they help, then answer briefly.",
            List.of(CalculatorTool.NAME, ClockTool.NAME, WaitTool.NAME)));

    @Inject
    public AgentCatalog() {
    }

    public Optional<Agent> find(String name) {
        return agents.stream().filter(agent -> agent.name().equals(name)).findFirst();
    }

    public List<Agent> all() {
        return agents;
    }
}
