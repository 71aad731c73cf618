package dev.overseer.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.model.ConversationItem.ToolResult;
import dev.overseer.core.model.ConversationItem.UserText;
import dev.overseer.core.tool.CalculatorTool;
import dev.overseer.core.tool.ClockTool;
import dev.overseer.core.tool.ToolCall;
import dev.overseer.core.tool.ToolOutcome;
import dev.overseer.core.tool.WaitTool;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built-in deterministic model used when no LLM is configured (SPEC §4): "use TOOL {json}" calls that tool
 * of the agent's, arithmetic goes to the calculator, questions about the time or date to the clock, "wait N
 * seconds" to wait, and anything else is answered by echoing the user's text.
 */
public final class OfflineModel implements ChatModel {
    /** Its name in metrics, where a configured model's name would be. */
    public static final String NAME = "offline";
    private static final Pattern WAIT = Pattern.compile("\\bwait\\s+(\\d{1,9})\\s*(?:s|secs?|seconds?)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern ARITHMETIC = Pattern.compile(
            "[(\\-]*\\s*\\d+(?:\\.\\d+)?\\s*\\)*(?:\\s*[-+*/%^]\\s*[(\\-]*\\s*\\d+(?:\\.\\d+)?\\s*\\)*)+");
    /** {@code use TOOL {json object}}: the way to call any tool, MCP tools among them, with no LLM (SPEC §4). */
    private static final Pattern USE = Pattern.compile("^\\s*use\\s+([A-Za-z0-9_.\\-]+)\\s+(\\{.*})\\s*$", Pattern.DOTALL);
    private static final Pattern TIME = Pattern.compile(
            "\\b(time|date|clock|today|day is it|what day)\\b", Pattern.CASE_INSENSITIVE);

    @Inject
    public OfflineModel() {
    }

    @Override
    public ModelReply next(ModelRequest request, TextStream stream) throws ModelException {
        return switch (request.last()) {
            case UserText user -> firstStep(user.text(), request);
            case ToolResult result -> answerFrom(result.outcome());
            default -> new ModelReply.Answer(null, "I have nothing more to add.");
        };
    }

    private static ModelReply firstStep(String text, ModelRequest request) throws ModelException {
        Matcher use = USE.matcher(text);
        if (use.matches()) {
            String tool = use.group(1);
            if (request.tools().stream().noneMatch(spec -> spec.name().equals(tool))) {
                throw new ModelException("unknown_tool", "agent '" + request.agent() + "' has no tool '" + tool + "'");
            }
            JsonNode arguments;
            try {
                arguments = Json.mapper().readTree(use.group(2));
            } catch (JsonProcessingException e) {
                throw new ModelException("invalid_tool_arguments", "the arguments of '" + tool
                        + "' are not a JSON object: " + e.getOriginalMessage());
            }
            return call("Calling " + tool + ".", tool, arguments);
        }
        Matcher wait = WAIT.matcher(text);
        if (wait.find()) {
            long seconds = Long.parseLong(wait.group(1));
            return call("Waiting " + seconds + " seconds with the wait tool.", WaitTool.NAME,
                    Json.object().put("seconds", seconds));
        }
        Matcher arithmetic = ARITHMETIC.matcher(text);
        if (arithmetic.find()) {
            String expression = arithmetic.group().strip();
            return call("Computing " + expression + " with the calculator.", CalculatorTool.NAME,
                    Json.object().put("expression", expression));
        }
        if (TIME.matcher(text).find()) {
            return call("Checking the clock.", ClockTool.NAME, Json.object());
        }
        return new ModelReply.Answer("Answering directly; no tool is needed.", "You said: " + text);
    }

    private static ModelReply call(String thinking, String tool, JsonNode arguments) {
        return new ModelReply.CallTools(thinking, List.of(new ToolCall("call_1", tool, arguments)));
    }

    private static ModelReply answerFrom(ToolOutcome outcome) {
        String tool = outcome.call().tool();
        if (outcome.failed()) {
            return new ModelReply.Answer(null, "The " + tool + " tool failed: " + outcome.error());
        }
        JsonNode result = outcome.result();
        String text = switch (tool.toLowerCase(Locale.ROOT)) {
            case CalculatorTool.NAME -> outcome.call().arguments().path("expression").asText() + " = " + result.asText();
            case ClockTool.NAME -> "It is " + result.path("now").asText() + " (UTC).";
            case WaitTool.NAME -> "I waited " + result.path("waited_seconds").asInt() + " seconds.";
            default -> "The " + tool + " tool returned " + Json.write(result) + ".";
        };
        return new ModelReply.Answer(null, text);
    }
}
