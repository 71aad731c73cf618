package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Something an agent can call. Implementations hold no per-run state; each call gets its own arguments and run. */
public interface Tool {
    /** The name agents and events use, e.g. {@code calculator}. */
    String name();

    /** One sentence for the model: what the tool does. */
    String description();

    /** The JSON Schema of the arguments object. */
    ObjectNode parametersSchema();

    /** What a model is told about this tool. */
    default ToolSpec spec() {
        return new ToolSpec(name(), description(), parametersSchema());
    }

    /**
     * Runs the tool for the run that {@code context} describes. Bad arguments or a failed computation throw
     * {@link ToolException}; the run goes on and the model sees the error. Interruption means the run was
     * cancelled: the call must end at once.
     */
    JsonNode call(JsonNode arguments, ToolContext context) throws ToolException, InterruptedException;
}
