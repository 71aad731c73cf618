package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.node.NullNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tools one run may call, and the calls it made. One dispatcher per run: nothing here is shared
 * between runs or users.
 */
public final class ToolDispatcher {
    private final Map<String, Tool> tools;
    private final List<ToolSpec> specs;
    private int calls;

    /** A dispatcher over these tools, which tells the model of them and of nothing else. */
    public ToolDispatcher(Map<String, Tool> tools) {
        this(tools, tools.values().stream().map(Tool::spec).toList());
    }

    /**
     * A dispatcher over these tools that tells the model {@code specs}: the tools' specs, made once and shared
     * (they are immutable), and those of what else the model may call, such as agents to delegate to.
     */
    public ToolDispatcher(Map<String, Tool> tools, List<ToolSpec> specs) {
        // Insertion order is kept, so the model sees the tools in the same order on every start.
        this.tools = Collections.unmodifiableMap(new LinkedHashMap<>(tools));
        this.specs = List.copyOf(specs);
    }

    /** What the model is told about what this run may call. */
    public List<ToolSpec> specs() {
        return specs;
    }

    /** Whether this run may call the tool. */
    public boolean has(String tool) {
        return tools.containsKey(tool);
    }

    /** How many calls this run has dispatched. */
    public int calls() {
        return calls;
    }

    /**
     * Calls a tool for the run {@code context} describes; an unknown tool or a failing one becomes an error outcome.
     * Interruption propagates.
     */
    public ToolOutcome dispatch(ToolCall call, ToolContext context) throws InterruptedException {
        calls++;
        long started = System.nanoTime();
        Tool tool = tools.get(call.tool());
        if (tool == null) {
            return new ToolOutcome(call, NullNode.getInstance(), "unknown tool '" + call.tool() + "'", 0);
        }
        if (!call.arguments().isObject()) {
            return new ToolOutcome(call, NullNode.getInstance(), "the arguments must be a JSON object", 0);
        }
        try {
            var result = tool.call(call.arguments(), context);
            return new ToolOutcome(call, result, null, elapsedMillis(started));
        } catch (ToolException e) {
            return new ToolOutcome(call, NullNode.getInstance(), e.getMessage(), elapsedMillis(started));
        } catch (RuntimeException e) {
            return new ToolOutcome(call, NullNode.getInstance(), "tool failed: " + e.getClass().getSimpleName(),
                    elapsedMillis(started));
        }
    }

    private static long elapsedMillis(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }
}
