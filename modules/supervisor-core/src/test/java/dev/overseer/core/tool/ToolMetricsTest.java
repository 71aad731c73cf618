package dev.overseer.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.UserId;
import dev.overseer.core.json.Json;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolMetricsTest {
    private static final ToolContext CONTEXT = new ToolContext(new UserId("alice"), (progress, total, message) -> {
    });

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ToolMetrics metrics = new ToolMetrics(meters);

    /** A tool that is interrupted, as a cancelled run's tool is. */
    private record Interrupted(String name) implements Tool {
        @Override
        public String description() {
            return "waits for ever";
        }

        @Override
        public ObjectNode parametersSchema() {
            return Json.object();
        }

        @Override
        public JsonNode call(JsonNode arguments, ToolContext context) throws InterruptedException {
            throw new InterruptedException();
        }
    }

    private long calls(String tool, String outcome) {
        return meters.get("overseer.tool.call.duration").tag("tool", tool).tag("outcome", outcome).timer().count();
    }

    @Test
    void meteredTools_recordEachCall_byToolAndOutcome_andBehaveAsTheToolItself() throws InterruptedException {
        Tool calculator = metrics.metered(new CalculatorTool());
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", calculator,
                "stuck", metrics.metered(new Interrupted("stuck"))));
        assertThat(calls("calculator", "ok")).isZero();

        ToolOutcome answered = dispatcher.dispatch(new ToolCall("c1", "calculator",
                Json.object().put("expression", "6*7")), CONTEXT);
        ToolOutcome failed = dispatcher.dispatch(new ToolCall("c2", "calculator",
                Json.object().put("expression", "6*")), CONTEXT);

        assertThat(Json.write(answered.result())).isEqualTo("42");
        assertThat(failed.error()).isNotNull();
        assertThat(calculator.spec()).isEqualTo(new CalculatorTool().spec());
        assertThat(calls("calculator", "ok")).isEqualTo(1);
        assertThat(calls("calculator", "error")).isEqualTo(1);
        assertThatThrownBy(() -> dispatcher.dispatch(new ToolCall("c3", "stuck", Json.object()), CONTEXT))
                .isInstanceOf(InterruptedException.class);
        assertThat(calls("stuck", "cancelled")).isEqualTo(1);
    }

    @Test
    void aToolTheModelMadeUp_isNoSeries() throws InterruptedException {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", metrics.metered(new CalculatorTool())));

        ToolOutcome unknown = dispatcher.dispatch(new ToolCall("c1", "rm_rf", Json.object()), CONTEXT);

        assertThat(unknown.error()).contains("unknown tool");
        assertThat(meters.find("overseer.tool.call.duration").tag("tool", "rm_rf").timer()).isNull();
        assertThat(meters.find("overseer.tool.call.duration").timers()).hasSize(3);
    }
}
