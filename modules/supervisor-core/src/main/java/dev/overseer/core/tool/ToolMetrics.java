package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.metrics.Buckets;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;

/**
 * Tool call latency by tool and outcome ({@code overseer_tool_call_duration_seconds}): the tools an agent may call
 * are wrapped once, when its tool set is resolved, so a call only reads the clock. Tool names come from the
 * configuration (built-in tools and {@code server__tool} of the configured MCP servers); a name a model made up
 * is never a tool, so it never becomes a series.
 */
@Singleton
public final class ToolMetrics {
    private final MeterRegistry registry;

    @Inject
    public ToolMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The tool, timed. */
    public Tool metered(Tool tool) {
        return tool instanceof Metered ? tool
                : new Metered(tool, timer(tool.name(), "ok"), timer(tool.name(), "error"),
                        timer(tool.name(), "cancelled"));
    }

    private Timer timer(String tool, String outcome) {
        return Timer.builder("overseer.tool.call.duration")
                .description("Tool calls, by tool and outcome: ok, error (the model is told), cancelled")
                .tag("tool", tool)
                .tag("outcome", outcome)
                .serviceLevelObjectives(Buckets.tools())
                .register(registry);
    }

    private record Metered(Tool tool, Timer ok, Timer error, Timer cancelled) implements Tool {
        @Override
        public String name() {
            return tool.name();
        }

        @Override
        public String description() {
            return tool.description();
        }

        @Override
        public ObjectNode parametersSchema() {
            return tool.parametersSchema();
        }

        @Override
        public ToolSpec spec() {
            return tool.spec();
        }

        @Override
        public JsonNode call(JsonNode arguments, ToolContext context) throws ToolException, InterruptedException {
            long started = System.nanoTime();
            Timer outcome = error;
            try {
                JsonNode result = tool.call(arguments, context);
                outcome = ok;
                return result;
            } catch (InterruptedException e) {
                outcome = cancelled;
                throw e;
            } finally {
                outcome.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
        }
    }
}
