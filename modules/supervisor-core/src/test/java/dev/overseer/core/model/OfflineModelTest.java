package dev.overseer.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.model.ConversationItem.AssistantToolCalls;
import dev.overseer.core.model.ConversationItem.ToolResult;
import dev.overseer.core.model.ConversationItem.UserText;
import dev.overseer.core.tool.ToolCall;
import dev.overseer.core.tool.ToolOutcome;
import dev.overseer.core.tool.ToolSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OfflineModelTest {
    private final OfflineModel model = new OfflineModel();

    private static final ToolSpec ECHO = new ToolSpec("everything__echo", "Echoes back the input",
            (ObjectNode) Json.readTrusted("{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\"}}}"));

    private ModelReply ask(ConversationItem... conversation) {
        return ask(List.of(), conversation);
    }

    private ModelReply ask(List<ToolSpec> tools, ConversationItem... conversation) {
        try {
            return model.next(new ModelRequest("supervisor", null, "You are a test.", List.of(conversation), tools),
                    TextStream.IGNORE);
        } catch (ModelException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void next_useOfAToolOfTheAgent_callsItWithTheObject() {
        ToolCall call = onlyCall(ask(List.of(ECHO), new UserText("use everything__echo {\"message\": \"hi\"}")));

        assertThat(call.tool()).isEqualTo("everything__echo");
        assertThat(Json.write(call.arguments())).isEqualTo("{\"message\":\"hi\"}");
    }

    @Test
    void next_useOfAToolTheAgentLacks_failsWithUnknownTool() {
        assertThatThrownBy(() -> model.next(new ModelRequest("supervisor", null, "You are a test.",
                        List.of(new UserText("use everything__echo {}")), List.of()), TextStream.IGNORE))
                .isInstanceOf(ModelException.class)
                .satisfies(e -> assertThat(((ModelException) e).code()).isEqualTo("unknown_tool"))
                .hasMessageContaining("everything__echo");
    }

    @Test
    void next_useWithArgumentsThatAreNotJson_failsWithInvalidToolArguments() {
        assertThatThrownBy(() -> model.next(new ModelRequest("supervisor", null, "You are a test.",
                        List.of(new UserText("use everything__echo {message: hi}")), List.of(ECHO)), TextStream.IGNORE))
                .isInstanceOf(ModelException.class)
                .satisfies(e -> assertThat(((ModelException) e).code()).isEqualTo("invalid_tool_arguments"));
    }

    @Test
    void next_resultOfAnotherTool_answersWithTheResult() {
        ToolCall call = new ToolCall("call_1", "everything__echo", Json.object().put("message", "hi"));
        ModelReply reply = ask(List.of(ECHO), new UserText("use everything__echo {\"message\":\"hi\"}"),
                new ConversationItem.ToolResult(new ToolOutcome(call, TextNode.valueOf("Echo: hi"), null, 1)));

        assertThat(reply).isInstanceOf(ModelReply.Answer.class);
        assertThat(((ModelReply.Answer) reply).text()).isEqualTo("The everything__echo tool returned \"Echo: hi\".");
    }

    private static ToolCall onlyCall(ModelReply reply) {
        assertThat(reply).isInstanceOf(ModelReply.CallTools.class);
        List<ToolCall> calls = ((ModelReply.CallTools) reply).calls();
        assertThat(calls).hasSize(1);
        return calls.get(0);
    }

    @Test
    void next_arithmeticQuestion_callsCalculatorWithTheExpression() {
        ModelReply reply = ask(new UserText("What is 6*7?"));

        ToolCall call = onlyCall(reply);
        assertThat(call.tool()).isEqualTo("calculator");
        assertThat(Json.write(call.arguments())).isEqualTo("{\"expression\":\"6*7\"}");
        assertThat(call.id()).isNotBlank();
        assertThat(reply.thinking()).isNotBlank().contains("6*7");
    }

    @Test
    void next_calculatorResult_answersWithTheNumber() {
        UserText question = new UserText("What is 6*7?");
        ToolCall call = onlyCall(ask(question));
        ToolOutcome outcome = new ToolOutcome(call, LongNode.valueOf(42), null, 1);

        ModelReply reply = ask(question, new AssistantToolCalls(List.of(call)), new ToolResult(outcome));

        assertThat(reply).isInstanceOf(ModelReply.Answer.class);
        assertThat(((ModelReply.Answer) reply).text()).contains("42");
    }

    @ParameterizedTest
    @ValueSource(strings = {"(2+3)*4", "what's (2 + 3) * 4 please", "compute (2+3)*4."})
    void next_parenthesisedExpression_isPassedWhole(String text) {
        ToolCall call = onlyCall(ask(new UserText(text)));

        assertThat(call.tool()).isEqualTo("calculator");
        assertThat(call.arguments().path("expression").asText().replace(" ", "")).isEqualTo("(2+3)*4");
    }

    @ParameterizedTest
    @ValueSource(strings = {"what time is it", "What's the date today?", "What TIME is it now?", "what day is it"})
    void next_timeOrDateQuestion_callsClock(String text) {
        ModelReply reply = ask(new UserText(text));

        ToolCall call = onlyCall(reply);
        assertThat(call.tool()).isEqualTo("clock");
        assertThat(Json.write(call.arguments())).isEqualTo("{}");
    }

    @Test
    void next_clockResult_answersWithTheTime() {
        UserText question = new UserText("what time is it");
        ToolCall call = onlyCall(ask(question));
        JsonNode now = Json.object().put("now", "2026-11-28T10:00:00.123Z").put("date", "2026-11-28")
                .put("timezone", "UTC");

        ModelReply reply = ask(question, new AssistantToolCalls(List.of(call)),
                new ToolResult(new ToolOutcome(call, now, null, 0)));

        assertThat(((ModelReply.Answer) reply).text()).contains("2026-11-28T10:00:00.123Z");
    }

    @ParameterizedTest
    @ValueSource(strings = {"wait 3 seconds", "Please WAIT 3 secs", "wait 3s", "wait 3 second then tell me"})
    void next_waitRequest_callsWaitWithTheSeconds(String text) {
        ModelReply reply = ask(new UserText(text));

        ToolCall call = onlyCall(reply);
        assertThat(call.tool()).isEqualTo("wait");
        assertThat(Json.write(call.arguments())).isEqualTo("{\"seconds\":3}");
        assertThat(reply.thinking()).isNotBlank();
    }

    @Test
    void next_waitResult_saysHowLongItWaited() {
        UserText question = new UserText("wait 3 seconds");
        ToolCall call = onlyCall(ask(question));

        ModelReply reply = ask(question, new AssistantToolCalls(List.of(call)),
                new ToolResult(new ToolOutcome(call, Json.object().put("waited_seconds", 3), null, 3000)));

        assertThat(((ModelReply.Answer) reply).text()).contains("3 seconds");
    }

    @Test
    void next_plainText_isEchoedWithoutATool() {
        ModelReply reply = ask(new UserText("hello there"));

        assertThat(reply).isInstanceOf(ModelReply.Answer.class);
        assertThat(((ModelReply.Answer) reply).text()).contains("hello there");
    }

    @Test
    void next_failedTool_answerMentionsTheError() {
        UserText question = new UserText("What is 1/0?");
        ToolCall call = onlyCall(ask(question));
        ToolOutcome failed = new ToolOutcome(call, NullNode.getInstance(), "division by zero", 0);

        ModelReply reply = ask(question, new AssistantToolCalls(List.of(call)), new ToolResult(failed));

        assertThat(reply).isInstanceOf(ModelReply.Answer.class);
        assertThat(((ModelReply.Answer) reply).text()).contains("calculator").contains("division by zero");
    }

    @Test
    void next_sameQuestion_isDeterministic() {
        List<ModelReply> replies = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            replies.add(ask(new UserText("What is 6*7?")));
        }

        assertThat(replies).allSatisfy(reply -> assertThat(reply).isEqualTo(replies.get(0)));
    }
}
