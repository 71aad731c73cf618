package dev.overseer.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.json.Json;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RunEventTest {
    private static final Instant AT = Instant.parse("2026-11-28T10:00:00.123456789Z");
    private final RunId runId = RunId.generate();
    private final ThreadId threadId = ThreadId.generate();

    static Stream<Arguments> payloads() {
        return Stream.of(
                Arguments.of(new EventPayload.AgentStarted(null), "agent_started", "{\"parent_agent\":null}", false),
                Arguments.of(new EventPayload.AgentStarted("supervisor"), "agent_started",
                        "{\"parent_agent\":\"supervisor\"}", false),
                Arguments.of(new EventPayload.AgentThinking("Computing 6*7."), "agent_thinking",
                        "{\"text\":\"Computing 6*7.\"}", false),
                Arguments.of(new EventPayload.AgentMessageDelta("4"), "agent_message_delta", "{\"text\":\"4\"}", false),
                Arguments.of(new EventPayload.ToolExecuting("call_1", "calculator",
                                Json.object().put("expression", "6*7")), "tool_executing",
                        "{\"tool_call_id\":\"call_1\",\"tool\":\"calculator\",\"arguments\":{\"expression\":\"6*7\"}}",
                        false),
                Arguments.of(new EventPayload.ToolCompleted("call_1", "calculator", LongNode.valueOf(42), 3, null),
                        "tool_completed",
                        "{\"tool_call_id\":\"call_1\",\"tool\":\"calculator\",\"result\":42,\"duration_ms\":3,"
                                + "\"error\":null}",
                        false),
                Arguments.of(new EventPayload.ToolCompleted("call_1", "calculator", null, 0, "division by zero"),
                        "tool_completed",
                        "{\"tool_call_id\":\"call_1\",\"tool\":\"calculator\",\"result\":null,\"duration_ms\":0,"
                                + "\"error\":\"division by zero\"}",
                        false),
                Arguments.of(new EventPayload.AgentCompleted("6*7 = 42"), "agent_completed",
                        "{\"output\":\"6*7 = 42\"}", false),
                Arguments.of(new EventPayload.AgentError("max_steps", "too many steps"), "agent_error",
                        "{\"code\":\"max_steps\",\"message\":\"too many steps\"}", false),
                Arguments.of(new EventPayload.RunCompleted("6*7 = 42"), "run_completed", "{\"output\":\"6*7 = 42\"}",
                        true),
                Arguments.of(new EventPayload.RunFailed("interrupted", "the server stopped"), "run_failed",
                        "{\"code\":\"interrupted\",\"message\":\"the server stopped\"}", true),
                Arguments.of(new EventPayload.RunCancelled(), "run_cancelled", "{}", true));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("payloads")
    void encode_producesExactlyTheEnvelopeFields(EventPayload payload, String type, String payloadJson,
            boolean terminal) {
        RunEvent event = RunEvent.encode(runId, threadId, 4, AT, "supervisor", payload);
        JsonNode json = Json.readTrusted(event.json());

        List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactlyInAnyOrder("type", "run_id", "thread_id", "seq", "timestamp", "agent",
                "payload");
        assertThat(json.get("type").asText()).isEqualTo(type);
        assertThat(json.get("run_id").asText()).isEqualTo(runId.value());
        assertThat(json.get("thread_id").asText()).isEqualTo(threadId.value());
        assertThat(json.get("seq").isInt()).isTrue();
        assertThat(json.get("seq").asInt()).isEqualTo(4);
        assertThat(json.get("timestamp").asText()).isEqualTo("2026-11-28T10:00:00.123Z");
        assertThat(json.get("agent").asText()).isEqualTo("supervisor");
        assertThat(json.get("payload")).isEqualTo(Json.readTrusted(payloadJson));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("payloads")
    void encode_recordMatchesTheJson(EventPayload payload, String type, String payloadJson, boolean terminal) {
        RunEvent event = RunEvent.encode(runId, threadId, 7, AT, "supervisor", payload);

        assertThat(event.runId()).isEqualTo(runId);
        assertThat(event.threadId()).isEqualTo(threadId);
        assertThat(event.seq()).isEqualTo(7);
        assertThat(event.type()).isEqualTo(type);
        assertThat(event.terminal()).isEqualTo(terminal);
        assertThat(payload.terminal()).isEqualTo(terminal);
        assertThat(RunEvent.isTerminalType(type)).isEqualTo(terminal);
    }

    @Test
    void encode_timestamp_isRfc3339WithMillisAndZ() {
        for (Instant at : List.of(Instant.parse("2026-11-28T10:00:00Z"), Instant.parse("2026-02-03T04:05:06.7Z"),
                Instant.parse("1999-12-31T23:59:59.999999Z"), Instant.ofEpochMilli(0))) {
            String json = RunEvent.encode(runId, threadId, 1, at, "supervisor", new EventPayload.RunCancelled()).json();

            String timestamp = Json.readTrusted(json).get("timestamp").asText();
            assertThat(timestamp).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
            assertThat(Instant.parse(timestamp)).isEqualTo(at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        }
    }

    @Test
    void encode_isCompactSingleLineJson() {
        String json = RunEvent.encode(runId, threadId, 1, AT, "supervisor",
                new EventPayload.AgentThinking("line one\nline two")).json();

        assertThat(json).doesNotContain("\n").startsWith("{\"type\":\"agent_thinking\"");
        assertThat(Json.readTrusted(json).path("payload").path("text").asText()).isEqualTo("line one\nline two");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void new_seqBelowOne_isRejected(int seq) {
        assertThatThrownBy(() -> new RunEvent(runId, threadId, seq, "agent_started", false, "{}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("seq");
        assertThatThrownBy(() -> RunEvent.encode(runId, threadId, seq, AT, "supervisor",
                new EventPayload.AgentStarted(null)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isTerminalType_onlyForTheThreeTerminalTypes() {
        assertThat(Stream.of("run_completed", "run_failed", "run_cancelled")).allMatch(RunEvent::isTerminalType);
        assertThat(Stream.of("agent_started", "agent_completed", "agent_error", "tool_completed", "run_started"))
                .noneMatch(RunEvent::isTerminalType);
    }
}
