package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/** What a model is told about something it can call: name, purpose, and the JSON Schema of its arguments. */
public record ToolSpec(String name, String description, ObjectNode parameters) {
    public ToolSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
    }
}
