package dev.overseer.core.mcp;

import java.util.List;

/** The MCP servers of the agents file (SPEC §8); none without one. */
public record McpSettings(List<McpServerDefinition> servers) {
    public McpSettings {
        servers = List.copyOf(servers);
    }

    /** The prefix of every tool of server {@code server}: {@code server__}. */
    public static String prefix(String server) {
        return server + McpTool.SEPARATOR;
    }
}
