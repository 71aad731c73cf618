package dev.overseer.core.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.tool.Tool;
import dev.overseer.core.tool.ToolContext;
import dev.overseer.core.tool.ToolException;
import io.modelcontextprotocol.spec.McpSchema;

/**
 * Tool {@code T} of MCP server {@code S}, as agents and events name it: {@code S__T}. The model is told the
 * server's own description and input schema.
 */
final class McpTool implements Tool {
    static final String SEPARATOR = "__";

    private final McpServer server;
    private final String tool;
    private final String description;
    private final ObjectNode schema;

    McpTool(McpServer server, McpSchema.Tool tool) {
        this.server = server;
        this.tool = tool.name();
        this.description = tool.description() == null ? "" : tool.description();
        JsonNode input = tool.inputSchema() == null ? null : Json.mapper().valueToTree(tool.inputSchema());
        this.schema = input instanceof ObjectNode object ? object : Json.object().put("type", "object");
    }

    @Override
    public String name() {
        return server.name() + SEPARATOR + tool;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public ObjectNode parametersSchema() {
        return schema.deepCopy();
    }

    @Override
    public JsonNode call(JsonNode arguments, ToolContext context) throws ToolException, InterruptedException {
        return server.call(tool, arguments, context);
    }
}
