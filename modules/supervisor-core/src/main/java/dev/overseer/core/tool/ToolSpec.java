package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * What a model is told about something it can call: name, purpose, and the JSON Schema of its arguments.
 * Immutable, so one spec serves every run: it keeps a copy of the schema it is given and hands out copies.
 */
public record ToolSpec(String name, String description, ObjectNode parameters) {
    public ToolSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        parameters = Objects.requireNonNull(parameters, "parameters").deepCopy();
    }

    /** A copy of the schema of the arguments, the caller's to change. */
    @Override
    public ObjectNode parameters() {
        return parameters.deepCopy();
    }
}
