package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import jakarta.inject.Inject;

/** Sleeps for up to a minute; cancelling the run interrupts the sleep. */
public final class WaitTool implements Tool {
    public static final String NAME = "wait";
    public static final int MAX_SECONDS = 60;

    @Inject
    public WaitTool() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Waits the given number of seconds (0 to " + MAX_SECONDS + ").";
    }

    @Override
    public ObjectNode parametersSchema() {
        ObjectNode schema = Json.object().put("type", "object");
        schema.putObject("properties").putObject("seconds")
                .put("type", "integer")
                .put("minimum", 0)
                .put("maximum", MAX_SECONDS);
        schema.putArray("required").add("seconds");
        return schema.put("additionalProperties", false);
    }

    @Override
    public JsonNode call(JsonNode arguments, ToolContext context) throws ToolException, InterruptedException {
        JsonNode seconds = arguments.get("seconds");
        if (seconds == null || !seconds.canConvertToInt() || !seconds.isIntegralNumber()
                || seconds.asInt() < 0 || seconds.asInt() > MAX_SECONDS) {
            throw new ToolException("'seconds' must be a whole number from 0 to " + MAX_SECONDS);
        }
        Thread.sleep(seconds.asInt() * 1_000L);
        return Json.object().put("waited_seconds", seconds.asInt());
    }
}
