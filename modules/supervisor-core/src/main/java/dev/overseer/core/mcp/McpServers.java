package dev.overseer.core.mcp;

import dev.overseer.core.tool.Tool;
import io.modelcontextprotocol.spec.McpSchema;
import dev.overseer.core.trace.Tracing;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP servers of this process and the tools they offer now (ADR 0023). A server's tools are those of its last
 * listing: they stay while it is disconnected (their calls then fail), and change when it says its list changed.
 */
@Singleton
public final class McpServers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(McpServers.class);
    /** How long start-up waits for the servers' first connection, all together, before it goes on without them. */
    private static final Duration FIRST_CONNECT = Duration.ofSeconds(20);

    private final McpSettings settings;
    private final McpMetrics metrics;
    private final Tracing tracing;
    private final Map<String, McpServer> servers = new LinkedHashMap<>();
    private final Map<String, List<Tool>> toolsByServer = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong();

    @Inject
    public McpServers(McpSettings settings, McpMetrics metrics, Tracing tracing) {
        this.settings = settings;
        this.metrics = metrics;
        this.tracing = tracing;
    }

    /** Connects to every server, waiting a while for them: a server that is down does not stop start-up. */
    public synchronized void start() {
        if (!servers.isEmpty()) {
            return;
        }
        for (McpServerDefinition definition : settings.servers()) {
            servers.put(definition.name(), new McpServer(definition, this::listed, metrics, tracing));
        }
        long deadline = System.nanoTime() + FIRST_CONNECT.toNanos();
        for (McpServer server : servers.values()) {
            try {
                server.awaitFirstAttempt(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (server.state() != McpServer.State.CONNECTED) {
                LOG.warn("MCP server '{}' is {} at start; Overseer goes on and keeps trying", server.name(),
                        server.state().wire());
            }
        }
    }

    private void listed(McpServer server, List<McpSchema.Tool> tools) {
        String name = server.name();
        List<Tool> made = new ArrayList<>();
        tools.forEach(tool -> made.add(new McpTool(server, tool)));
        made.sort(Comparator.comparing(Tool::name));
        toolsByServer.put(name, List.copyOf(made));
        version.incrementAndGet();
        LOG.info("MCP server '{}' offers {} tools", name, made.size());
    }

    /** Every MCP tool known now, by name. */
    public Map<String, Tool> tools() {
        Map<String, Tool> tools = new LinkedHashMap<>();
        toolsByServer.values().forEach(list -> list.forEach(tool -> tools.put(tool.name(), tool)));
        return tools;
    }

    /** Grows whenever a server's tools change, so that what was made from them can tell it is stale. */
    public long version() {
        return version.get();
    }

    /** Each server's state, by name, for {@code /readyz}: connecting, connected, disconnected or stopped. */
    public Map<String, String> states() {
        Map<String, String> states = new LinkedHashMap<>();
        synchronized (this) {
            settings.servers().forEach(definition -> {
                McpServer server = servers.get(definition.name());
                states.put(definition.name(), server == null ? "stopped" : server.state().wire());
            });
        }
        return states;
    }

    /** Stops every server's connection and child process. */
    @Override
    public synchronized void close() {
        servers.values().parallelStream().forEach(McpServer::close);
    }
}
