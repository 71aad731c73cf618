package dev.overseer.core.supervisor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.ExecutionContext;
import dev.overseer.core.json.Json;
import dev.overseer.core.mcp.McpServers;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.ModelMetrics;
import dev.overseer.core.run.Approvals;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.tool.Tool;
import dev.overseer.core.tool.ToolDispatcher;
import dev.overseer.core.tool.ToolMetrics;
import dev.overseer.core.tool.ToolSpec;
import dev.overseer.core.trace.Tracing;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one place a supervisor is made. Both transports reach it with an {@link ExecutionContext} they
 * built themselves; each call returns a new supervisor with its own tool dispatchers and conversation.
 */
@Singleton
public final class SupervisorFactory {
    private final ChatModel model;
    private final Map<String, Tool> tools;
    private final AgentCatalog agents;
    private final MessageStore messages;
    private final RunLifecycle lifecycle;
    private final AgentSettings settings;
    private final Clock clock;
    private final McpServers mcp;
    private final Approvals approvals;
    private final Tracing tracing;
    private final ToolMetrics toolMetrics;
    private final ModelMetrics modelMetrics;
    private final Map<String, Resolved> byAgent = new ConcurrentHashMap<>();

    /** An agent's tools and what the model is told of them, as of one version of the MCP servers' tools. */
    private record Resolved(long mcpVersion, Map<String, Tool> tools, List<ToolSpec> specs) {
    }

    @Inject
    public SupervisorFactory(ChatModel model, Map<String, Tool> tools, McpServers mcp, AgentCatalog agents,
            MessageStore messages, RunLifecycle lifecycle, AgentSettings settings, Clock clock, Approvals approvals,
            Tracing tracing, ToolMetrics toolMetrics, ModelMetrics modelMetrics) {
        this.model = model;
        this.tools = new TreeMap<>(tools);
        this.mcp = mcp;
        this.agents = agents;
        this.messages = messages;
        this.lifecycle = lifecycle;
        this.settings = settings;
        this.clock = clock;
        this.approvals = approvals;
        this.tracing = tracing;
        this.toolMetrics = toolMetrics;
        this.modelMetrics = modelMetrics;
    }

    /** A supervisor for this caller, thread and run, running {@code agent} with the tools it may use. */
    public Supervisor create(ExecutionContext context, Agent agent) {
        return new Supervisor(context, agent, model, dispatcher(agent), this::dispatcher, agents, messages,
                lifecycle, settings, clock, approvals, tracing, modelMetrics);
    }

    /** A new dispatcher over the tools this agent may call, telling the model of them and of its delegates. */
    private ToolDispatcher dispatcher(Agent agent) {
        long version = mcp.version();
        Resolved resolved = byAgent.get(agent.name());
        if (resolved == null || resolved.mcpVersion() != version) {
            // Specs are immutable and the same for every run of an agent: made at its first run, and again only
            // when an MCP server's tools change.
            resolved = resolve(agent, version);
            byAgent.put(agent.name(), resolved);
        }
        return new ToolDispatcher(resolved.tools(), resolved.specs());
    }

    /** The built-in and MCP tools that the agent's entries name, in the order of its entries, timed. */
    private Resolved resolve(Agent agent, long version) {
        Map<String, Tool> available = new TreeMap<>(mcp.tools());
        available.putAll(tools);
        Map<String, Tool> allowed = new LinkedHashMap<>();
        for (String entry : agent.tools()) {
            available.forEach((name, tool) -> {
                if (ToolNames.matches(entry, name)) {
                    allowed.computeIfAbsent(name, key -> toolMetrics.metered(tool));
                }
            });
        }
        List<ToolSpec> specs = new ArrayList<>();
        allowed.values().forEach(tool -> specs.add(tool.spec()));
        for (String delegate : agent.delegates()) {
            agents.find(delegate).ifPresent(sub -> specs.add(delegationSpec(sub)));
        }
        return new Resolved(version, allowed, List.copyOf(specs));
    }

    private static ToolSpec delegationSpec(Agent sub) {
        ObjectNode parameters = Json.object().put("type", "object");
        parameters.putObject("properties").putObject("task")
                .put("type", "string")
                .put("description", "what " + sub.name() + " should do, with everything it needs to know");
        parameters.putArray("required").add("task");
        return new ToolSpec(sub.name(), sub.description(), parameters.put("additionalProperties", false));
    }
}
