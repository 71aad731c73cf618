package dev.overseer.core.supervisor;

import dev.overseer.core.mcp.McpSettings;
import dev.overseer.core.tool.Tool;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agents runs may name. {@code supervisor} is the default: it may call every built-in tool and every MCP
 * server's tools (unless the agents file lists its tools) and delegates to
 * every other agent (each appears to it as a tool taking a {@code task}). Agents named in the agents file
 * are sub-agents: they use their own tools and do not delegate further.
 */
@Singleton
public final class AgentCatalog {
    public static final String DEFAULT_AGENT = "supervisor";
    static final String DEFAULT_PROMPT = "You are Overseer's supervisor. Use the tools and agents you are given "
            + "when they help, then answer the user briefly.";

    private final Map<String, Agent> agents = new LinkedHashMap<>();

    @Inject
    public AgentCatalog(AgentDefinitions definitions, Map<String, Tool> tools, McpSettings mcp) {
        AgentDefinitions.Definition supervisor = null;
        List<AgentDefinitions.Definition> subAgents = new ArrayList<>();
        List<String> serverPrefixes = mcp.servers().stream().map(server -> McpSettings.prefix(server.name())).toList();
        for (AgentDefinitions.Definition definition : definitions.agents()) {
            List<String> entries = new ArrayList<>(definition.requireApproval());
            if (definition.tools() != null) {
                entries.addAll(definition.tools());
            }
            for (String tool : entries) {
                if (!known(tool, tools.keySet(), serverPrefixes)) {
                    throw new AgentConfigurationException("agent '" + definition.name() + "' names unknown tool '"
                            + tool + "'; known tools: " + String.join(", ", tools.keySet().stream().sorted().toList())
                            + serverPrefixes.stream().map(prefix -> ", " + prefix + "*").reduce("", String::concat));
                }
            }
            if (tools.containsKey(definition.name())) {
                throw new AgentConfigurationException("agent '" + definition.name() + "' has the name of a tool");
            }
            if (definition.name().equals(DEFAULT_AGENT)) {
                supervisor = definition;
            } else {
                subAgents.add(definition);
            }
        }
        List<String> delegates = subAgents.stream().map(AgentDefinitions.Definition::name).toList();
        agents.put(DEFAULT_AGENT, new Agent(
                DEFAULT_AGENT,
                supervisor != null && supervisor.description() != null ? supervisor.description()
                        : "Orchestrates the work of a run and answers the user.",
                supervisor != null && supervisor.systemPrompt() != null ? supervisor.systemPrompt() : DEFAULT_PROMPT,
                supervisor == null ? null : supervisor.model(),
                supervisor != null && supervisor.tools() != null ? supervisor.tools() : defaultTools(tools, serverPrefixes),
                delegates, supervisor == null ? List.of() : supervisor.requireApproval()));
        for (AgentDefinitions.Definition sub : subAgents) {
            agents.put(sub.name(), new Agent(sub.name(), sub.description(), sub.systemPrompt(), sub.model(),
                    sub.tools() == null ? List.of() : sub.tools(), List.of(), sub.requireApproval()));
        }
    }

    /** Every built-in tool, and every tool of every MCP server. */
    private static List<String> defaultTools(Map<String, Tool> tools, List<String> serverPrefixes) {
        List<String> all = new ArrayList<>(tools.keySet().stream().sorted().toList());
        serverPrefixes.forEach(prefix -> all.add(prefix + "*"));
        return all;
    }

    /**
     * Whether an agent's tool entry can name a tool: a built-in's name, {@code S__T} for a configured server
     * {@code S} (whose tools are known only once it is connected), or a pattern ending in {@code *} that matches
     * a built-in or may match a server's tools.
     */
    private static boolean known(String entry, Set<String> builtIns, List<String> serverPrefixes) {
        if (ToolNames.isPattern(entry)) {
            String prefix = entry.substring(0, entry.length() - 1);
            return builtIns.stream().anyMatch(name -> name.startsWith(prefix))
                    || serverPrefixes.stream().anyMatch(server -> server.startsWith(prefix) || prefix.startsWith(server));
        }
        return builtIns.contains(entry)
                || serverPrefixes.stream().anyMatch(server -> entry.startsWith(server) && entry.length() > server.length());
    }

    public Optional<Agent> find(String name) {
        return Optional.ofNullable(agents.get(name));
    }

    public List<Agent> all() {
        return List.copyOf(agents.values());
    }
}
