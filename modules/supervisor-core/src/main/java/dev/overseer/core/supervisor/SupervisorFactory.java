package dev.overseer.core.supervisor;

import dev.overseer.context.ExecutionContext;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.tool.Tool;
import dev.overseer.core.tool.ToolDispatcher;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

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

    @Inject
    public SupervisorFactory(ChatModel model, Map<String, Tool> tools, AgentCatalog agents,
            MessageStore messages, RunLifecycle lifecycle, AgentSettings settings, Clock clock) {
        this.model = model;
        this.tools = new TreeMap<>(tools);
        this.agents = agents;
        this.messages = messages;
        this.lifecycle = lifecycle;
        this.settings = settings;
        this.clock = clock;
    }

    /** A supervisor for this caller, thread and run, running {@code agent} with the tools it may use. */
    public Supervisor create(ExecutionContext context, Agent agent) {
        return new Supervisor(context, agent, model, dispatcher(agent), this::dispatcher, agents, messages,
                lifecycle, settings, clock);
    }

    /** A new dispatcher over the tools this agent may call. */
    private ToolDispatcher dispatcher(Agent agent) {
        Map<String, Tool> allowed = new LinkedHashMap<>();
        for (String name : agent.tools()) {
            Tool tool = tools.get(name);
            if (tool != null) {
                allowed.put(name, tool);
            }
        }
        return new ToolDispatcher(allowed);
    }
}
