package dev.overseer.core.tool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;

/** Tells the current date and time in UTC. */
public final class ClockTool implements Tool {
    public static final String NAME = "clock";

    private final Clock clock;

    @Inject
    public ClockTool(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Returns the current date and time in UTC.";
    }

    @Override
    public ObjectNode parametersSchema() {
        ObjectNode schema = Json.object().put("type", "object");
        schema.putObject("properties");
        return schema.put("additionalProperties", false);
    }

    @Override
    public JsonNode call(JsonNode arguments, ToolContext context) {
        Instant now = clock.instant();
        return Json.object()
                .put("now", Json.timestamp(now))
                .put("date", now.toString().substring(0, 10))
                .put("timezone", "UTC");
    }
}
