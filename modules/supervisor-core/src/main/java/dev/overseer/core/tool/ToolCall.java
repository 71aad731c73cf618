package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/** A model's request to call a tool. */
public record ToolCall(String id, String tool, JsonNode arguments) {
    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(arguments, "arguments");
    }
}
