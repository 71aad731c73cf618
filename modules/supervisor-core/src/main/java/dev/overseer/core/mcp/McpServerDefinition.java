package dev.overseer.core.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.core.json.Json;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One MCP server of the agents file's {@code mcp_servers} (SPEC §8): a child process speaking stdio
 * ({@code command}, {@code args}, {@code env}, {@code cwd}) or a Streamable HTTP endpoint ({@code url},
 * {@code headers}), with {@code ${VAR}} in {@code env} and {@code headers} values already replaced.
 */
public record McpServerDefinition(String name, String command, List<String> args, Map<String, String> env,
        String cwd, URI url, Map<String, String> headers, Duration timeout, boolean forwardUser) {
    /** Server names become the prefix of tool names ({@code S__T}), so they cannot hold the separator. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Set<String> FIELDS = Set.of("command", "args", "env", "cwd", "url", "headers",
            "timeout_seconds", "forward_user");
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    public McpServerDefinition {
        args = List.copyOf(args);
        env = Map.copyOf(env);
        headers = Map.copyOf(headers);
    }

    /** Whether the server is a child process (else a Streamable HTTP endpoint). */
    public boolean stdio() {
        return command != null;
    }

    /**
     * Reads the entry {@code name} of {@code mcp_servers}; a value naming an unset variable, or anything else
     * unusable, is an {@link IllegalArgumentException} that says where.
     */
    public static McpServerDefinition parse(String name, JsonNode entry, Map<String, String> environment) {
        String where = "mcp_servers." + name;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(where + ": a server name must be lower-case letters, digits or '-', "
                    + "starting with a letter, at most 32 characters");
        }
        if (!entry.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        Json.unknownField(entry, FIELDS).ifPresent(field -> {
            throw new IllegalArgumentException(where + " has an unknown field '" + field + "'");
        });
        String command = text(entry, "command", where);
        String url = text(entry, "url", where);
        if ((command == null) == (url == null)) {
            throw new IllegalArgumentException(where + " must have either \"command\" or \"url\"");
        }
        if (command == null && (entry.has("args") || entry.has("env") || entry.has("cwd"))) {
            throw new IllegalArgumentException(where + ": \"args\", \"env\" and \"cwd\" are for a \"command\" server");
        }
        if (command != null && entry.has("headers")) {
            throw new IllegalArgumentException(where + ": \"headers\" are for a \"url\" server");
        }
        URI uri = null;
        if (url != null) {
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ".url is not a URL: " + e.getMessage());
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException(where + ".url must be an http:// or https:// URL");
            }
        }
        List<String> args = new ArrayList<>();
        if (entry.has("args")) {
            if (!entry.get("args").isArray()) {
                throw new IllegalArgumentException(where + ".args must be an array of strings");
            }
            for (JsonNode arg : entry.get("args")) {
                if (!arg.isTextual()) {
                    throw new IllegalArgumentException(where + ".args must be an array of strings");
                }
                args.add(arg.asText());
            }
        }
        int timeoutSeconds = (int) DEFAULT_TIMEOUT.toSeconds();
        if (entry.has("timeout_seconds")) {
            JsonNode timeout = entry.get("timeout_seconds");
            if (!timeout.isIntegralNumber() || timeout.asLong() < 1 || timeout.asLong() > 3_600) {
                throw new IllegalArgumentException(where + ".timeout_seconds must be a whole number from 1 to 3600");
            }
            timeoutSeconds = timeout.asInt();
        }
        boolean forwardUser = false;
        if (entry.has("forward_user")) {
            if (!entry.get("forward_user").isBoolean()) {
                throw new IllegalArgumentException(where + ".forward_user must be true or false");
            }
            forwardUser = entry.get("forward_user").asBoolean();
        }
        return new McpServerDefinition(name, command, args, values(entry, "env", where, environment),
                text(entry, "cwd", where), uri, values(entry, "headers", where, environment),
                Duration.ofSeconds(timeoutSeconds), forwardUser);
    }

    private static String text(JsonNode entry, String field, String where) {
        JsonNode value = entry.get(field);
        if (value == null) {
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            throw new IllegalArgumentException(where + "." + field + " must be a non-blank string");
        }
        return value.asText();
    }

    /** An object of string values, each with its {@code ${VAR}}s replaced from {@code environment}. */
    private static Map<String, String> values(JsonNode entry, String field, String where,
            Map<String, String> environment) {
        Map<String, String> values = new LinkedHashMap<>();
        JsonNode object = entry.get(field);
        if (object == null) {
            return values;
        }
        if (!object.isObject()) {
            throw new IllegalArgumentException(where + "." + field + " must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> value = fields.next();
            if (!value.getValue().isTextual()) {
                throw new IllegalArgumentException(where + "." + field + "." + value.getKey() + " must be a string");
            }
            values.put(value.getKey(), substitute(value.getValue().asText(), where + "." + field + "." + value.getKey(),
                    environment));
        }
        return values;
    }

    private static String substitute(String value, String where, Map<String, String> environment) {
        Matcher variable = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (variable.find()) {
            String replacement = environment.get(variable.group(1));
            if (replacement == null) {
                throw new IllegalArgumentException(where + " names ${" + variable.group(1)
                        + "}, which is not set in the environment");
            }
            variable.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        return variable.appendTail(out).toString();
    }
}
