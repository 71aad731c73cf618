package dev.overseer.core.mcp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.tool.ToolContext;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.spec.McpSchema;
import dev.overseer.context.TraceParent;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** How a run's tool call is put to an MCP server: its arguments, progress token and, if asked, its user. */
final class McpCalls {
    /** The transport context key under which an HTTP server's request carries the caller's user id. */
    static final String USER = "overseer/user_id";
    static final String TRACEPARENT = "traceparent";
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    private McpCalls() {
    }

    /**
     * The {@code tools/call} request: {@code _meta} holds the progress token and, with {@code forwardUser}, the
     * caller's user id as {@code overseer/user_id} (SPEC §8).
     */
    static McpSchema.CallToolRequest request(String tool, JsonNode arguments, String progressToken, ToolContext context,
            boolean forwardUser) {
        Map<String, Object> meta = forwardUser
                ? Map.of("progressToken", progressToken, USER, context.user().value())
                : Map.of("progressToken", progressToken);
        return new McpSchema.CallToolRequest(tool, Json.mapper().convertValue(arguments, OBJECT), meta);
    }

    /**
     * What the HTTP transport may add to the call's request: the user id, with {@code forwardUser}, and the call's
     * W3C {@code traceparent} when it is traced.
     */
    static McpTransportContext transportContext(ToolContext context, boolean forwardUser, Optional<TraceParent> trace) {
        if (!forwardUser && trace.isEmpty()) {
            return McpTransportContext.EMPTY;
        }
        Map<String, Object> values = new HashMap<>(2);
        if (forwardUser) {
            values.put(USER, context.user().value());
        }
        trace.ifPresent(parent -> values.put(TRACEPARENT, parent.value()));
        return McpTransportContext.create(values);
    }
}
