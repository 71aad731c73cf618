package dev.overseer.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.UserId;
import dev.overseer.core.json.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolDispatcherTest {
    private static final ToolContext CONTEXT = new ToolContext(new UserId("alice"), (progress, total, message) -> {
    });

    /** A tool that fails in a way chosen by the test. */
    private record Failing(String name, Exception failure) implements Tool {
        @Override
        public String description() {
            return "fails";
        }

        @Override
        public ObjectNode parametersSchema() {
            return Json.object();
        }

        @Override
        public JsonNode call(JsonNode arguments, ToolContext context) throws ToolException, InterruptedException {
            if (failure instanceof ToolException e) {
                throw e;
            }
            if (failure instanceof InterruptedException e) {
                throw e;
            }
            throw (RuntimeException) failure;
        }
    }

    private static ToolCall call(String tool, JsonNode arguments) {
        return new ToolCall("call_1", tool, arguments);
    }

    @Test
    void dispatch_knownTool_returnsItsResult() throws InterruptedException {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", new CalculatorTool()));
        ToolCall call = call("calculator", Json.object().put("expression", "6*7"));

        ToolOutcome outcome = dispatcher.dispatch(call, CONTEXT);

        assertThat(outcome.failed()).isFalse();
        assertThat(outcome.error()).isNull();
        assertThat(Json.write(outcome.result())).isEqualTo("42");
        assertThat(outcome.call()).isEqualTo(call);
        assertThat(outcome.durationMs()).isNotNegative();
    }

    @Test
    void dispatch_unknownTool_isAnErrorOutcome() throws InterruptedException {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", new CalculatorTool()));

        ToolOutcome outcome = dispatcher.dispatch(call("rm_rf", Json.object()), CONTEXT);

        assertThat(outcome.failed()).isTrue();
        assertThat(outcome.error()).isEqualTo("unknown tool 'rm_rf'");
        assertThat(outcome.result().isNull()).isTrue();
        assertThat(outcome.durationMs()).isNotNegative();
    }

    @Test
    void dispatch_toolException_isAnErrorOutcomeWithItsMessage() throws InterruptedException {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", new CalculatorTool()));

        ToolOutcome outcome = dispatcher.dispatch(call("calculator", Json.object().put("expression", "1/0")), CONTEXT);

        assertThat(outcome.failed()).isTrue();
        assertThat(outcome.error()).isEqualTo("division by zero");
        assertThat(outcome.result().isNull()).isTrue();
        assertThat(outcome.durationMs()).isNotNegative();
    }

    @Test
    void dispatch_unexpectedRuntimeFailure_isAnErrorOutcomeWithoutInternals() throws InterruptedException {
        Tool broken = new Failing("broken", new IllegalStateException("secret internal detail"));
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("broken", broken));

        ToolOutcome outcome = dispatcher.dispatch(call("broken", Json.object()), CONTEXT);

        assertThat(outcome.failed()).isTrue();
        assertThat(outcome.error()).isEqualTo("tool failed: IllegalStateException").doesNotContain("secret");
    }

    @Test
    void dispatch_interruption_propagates() {
        Tool interrupted = new Failing("slow", new InterruptedException());
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("slow", interrupted));

        assertThatThrownBy(() -> dispatcher.dispatch(call("slow", Json.object()), CONTEXT))
                .isInstanceOf(InterruptedException.class);
    }

    @Test
    void dispatch_waitOfZeroSeconds_hasNonNegativeDuration() throws InterruptedException {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("wait", new WaitTool()));

        ToolOutcome outcome = dispatcher.dispatch(call("wait", Json.object().put("seconds", 0)), CONTEXT);

        assertThat(outcome.failed()).isFalse();
        assertThat(outcome.durationMs()).isBetween(0L, 1_000L);
    }

    @Test
    void calls_countsEveryDispatchIncludingFailures() throws InterruptedException {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", new CalculatorTool()));

        dispatcher.dispatch(call("calculator", Json.object().put("expression", "1+1")), CONTEXT);
        dispatcher.dispatch(call("nope", Json.object()), CONTEXT);
        dispatcher.dispatch(call("calculator", Json.object()), CONTEXT);

        assertThat(dispatcher.calls()).isEqualTo(3);
    }

    @Test
    void tools_areTheOnesGiven() {
        ToolDispatcher dispatcher = new ToolDispatcher(Map.of("calculator", new CalculatorTool(), "wait",
                new WaitTool()));

        assertThat(dispatcher.specs()).extracting(ToolSpec::name).containsExactlyInAnyOrder("calculator", "wait");
    }

    @Test
    void aSpec_keepsItsSchema_whateverItsMakerAndItsReadersDoWithTheirCopies() {
        // One spec serves every run of an agent (SupervisorFactory), so no run may change it for the others.
        ObjectNode schema = Json.object().put("type", "object");
        ToolSpec spec = new ToolSpec("echo", "says it again", schema);

        schema.put("type", "changed by its maker");
        spec.parameters().put("type", "changed by a reader");

        assertThat(spec.parameters().path("type").asText()).isEqualTo("object");
    }
}
