package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;

/** What one tool call produced: a result, or an error message, and how long it took. */
public record ToolOutcome(ToolCall call, JsonNode result, String error, long durationMs) {
    public boolean failed() {
        return error != null;
    }
}
