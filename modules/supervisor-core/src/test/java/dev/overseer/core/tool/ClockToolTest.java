package dev.overseer.core.tool;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.UserId;
import dev.overseer.core.json.Json;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ClockToolTest {
    private static final ToolContext CONTEXT = new ToolContext(new UserId("alice"), (progress, total, message) -> {
    });


    @Test
    void call_fixedClock_tellsTimeAndDateInUtc() {
        ClockTool clock = new ClockTool(Clock.fixed(Instant.parse("2026-11-28T10:00:00.123456789Z"), ZoneOffset.UTC));

        JsonNode result = clock.call(Json.object(), CONTEXT);

        assertThat(result.path("now").asText()).isEqualTo("2026-11-28T10:00:00.123Z");
        assertThat(result.path("date").asText()).isEqualTo("2026-11-28");
        assertThat(result.path("timezone").asText()).isEqualTo("UTC");
    }

    @Test
    void call_wholeSecond_stillShowsMilliseconds() {
        ClockTool clock = new ClockTool(Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));

        assertThat(clock.call(Json.object(), CONTEXT).path("now").asText()).isEqualTo("2026-01-02T03:04:05.000Z");
    }

    @Test
    void call_clockInAnotherZone_stillAnswersInUtc() {
        // 23:30 in UTC is already the next day in Tokyo; the answer must be the UTC date.
        Clock tokyo = Clock.fixed(Instant.parse("2026-12-31T23:30:00Z"), ZoneId.of("Asia/Tokyo"));

        JsonNode result = new ClockTool(tokyo).call(Json.object(), CONTEXT);

        assertThat(result.path("now").asText()).isEqualTo("2026-12-31T23:30:00.000Z");
        assertThat(result.path("date").asText()).isEqualTo("2026-12-31");
    }

    @Test
    void call_ignoresArguments() {
        ClockTool clock = new ClockTool(Clock.fixed(Instant.parse("2026-11-28T10:00:00Z"), ZoneOffset.UTC));

        assertThat(clock.call(Json.object().put("zone", "Europe/Paris"), CONTEXT).path("timezone").asText()).isEqualTo("UTC");
        assertThat(clock.name()).isEqualTo("clock");
    }
}
