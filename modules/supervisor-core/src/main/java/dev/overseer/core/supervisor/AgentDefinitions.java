package dev.overseer.core.supervisor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.mcp.McpServerDefinition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Agents defined in the agents file ({@code OVERSEER_AGENTS_FILE}), without recompiling, and the MCP servers whose
 * tools they may call (SPEC §8):
 * <pre>{"mcp_servers":{"everything":{"command":"npx","args":["@modelcontextprotocol/server-everything"]}},
 *  "agents":[{"name":"researcher","description":"…","system_prompt":"…","model":"…","tools":["clock","everything__*"],
 *  "require_approval":["everything__*"]}]}</pre>
 * An entry named {@code supervisor} replaces the built-in supervisor's prompt, model or tools.
 */
public record AgentDefinitions(List<Definition> agents, List<McpServerDefinition> mcpServers) {
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");
    private static final Set<String> FIELDS = Set.of("name", "description", "system_prompt", "model", "tools",
            "require_approval");

    /** No agents beyond the built-in supervisor. */
    public static final AgentDefinitions NONE = new AgentDefinitions(List.of(), List.of());
    private static final Set<String> ROOT_FIELDS = Set.of("agents", "mcp_servers");

    /** One agent as written in the file; absent fields are null. */
    public record Definition(String name, String description, String systemPrompt, String model, List<String> tools,
            List<String> requireApproval) {
    }

    public AgentDefinitions {
        agents = List.copyOf(agents);
        mcpServers = List.copyOf(mcpServers);
    }

    /**
     * Parses the file's text, replacing {@code ${VAR}} in MCP servers' {@code env} and {@code headers} from
     * {@code environment}; an unusable file is an {@link IllegalArgumentException} that says where.
     */
    public static AgentDefinitions parse(String json, Map<String, String> environment) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject() || !root.path("agents").isArray()) {
            throw new IllegalArgumentException("expected an object with an \"agents\" array");
        }
        Json.unknownField(root, ROOT_FIELDS).ifPresent(field -> {
            throw new IllegalArgumentException("unknown top-level field '" + field + "'");
        });
        List<McpServerDefinition> servers = new ArrayList<>();
        if (root.has("mcp_servers")) {
            if (!root.get("mcp_servers").isObject()) {
                throw new IllegalArgumentException("mcp_servers must be an object of servers by name");
            }
            root.get("mcp_servers").fields().forEachRemaining(
                    server -> servers.add(McpServerDefinition.parse(server.getKey(), server.getValue(), environment)));
        }
        List<Definition> definitions = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int index = 0;
        for (JsonNode entry : root.path("agents")) {
            String where = "agents[" + index++ + "]";
            if (!entry.isObject()) {
                throw new IllegalArgumentException(where + " must be an object");
            }
            Json.unknownField(entry, FIELDS).ifPresent(field -> {
                throw new IllegalArgumentException(where + " has an unknown field '" + field + "'");
            });
            String name = text(entry, "name", where, true);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(where + ".name must be lower-case letters, digits, '_' or '-', "
                        + "starting with a letter, at most 64 characters");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException(where + ".name '" + name + "' is defined twice");
            }
            List<String> tools = names(entry, "tools", where);
            List<String> requireApproval = names(entry, "require_approval", where);
            boolean builtIn = name.equals(AgentCatalog.DEFAULT_AGENT);
            definitions.add(new Definition(name, text(entry, "description", where, !builtIn),
                    text(entry, "system_prompt", where, !builtIn), text(entry, "model", where, false), tools,
                    requireApproval == null ? List.of() : requireApproval));
        }
        return new AgentDefinitions(definitions, servers);
    }

    /** An array of tool names or patterns, or null when the field is absent. */
    private static List<String> names(JsonNode entry, String field, String where) {
        JsonNode value = entry.get(field);
        if (value == null) {
            return null;
        }
        List<String> names = new ArrayList<>();
        if (value.isArray()) {
            value.forEach(name -> names.add(name.isTextual() ? name.asText() : null));
        }
        if (!value.isArray() || names.contains(null)) {
            throw new IllegalArgumentException(where + "." + field + " must be an array of tool names");
        }
        return names;
    }

    private static String text(JsonNode entry, String field, String where, boolean required) {
        JsonNode value = entry.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw new IllegalArgumentException(where + "." + field + " is required");
            }
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(where + "." + field + " must be a non-blank string");
        }
        return value.asText();
    }
}
