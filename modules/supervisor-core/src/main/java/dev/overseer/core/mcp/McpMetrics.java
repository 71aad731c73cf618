package dev.overseer.core.mcp;

import dev.overseer.core.metrics.Buckets;
import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Calls to MCP servers, by server and outcome ({@code ok}, {@code tool_error}, {@code error}, {@code timeout},
 * {@code cancelled}, {@code disconnected}, {@code unavailable}), with their latency: {@code overseer_mcp_calls_seconds}.
 */
@Singleton
public final class McpMetrics {
    private final OverseerMetrics metrics;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    @Inject
    public McpMetrics(OverseerMetrics metrics) {
        this.metrics = metrics;
    }

    void call(String server, String outcome, long nanos) {
        timers.computeIfAbsent(server + '\n' + outcome, key -> Timer.builder("overseer.mcp.calls")
                        .description("Calls to MCP servers' tools, by server and outcome")
                        .tag("server", server)
                        .tag("outcome", outcome)
                        .serviceLevelObjectives(Buckets.tools())
                        .register(metrics.registry()))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
