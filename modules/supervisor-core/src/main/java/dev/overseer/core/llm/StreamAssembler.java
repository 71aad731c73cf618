package dev.overseer.core.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.model.ModelException;
import dev.overseer.core.model.TextStream;
import dev.overseer.core.model.TokenUsage;
import dev.overseer.core.tool.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds a {@link ChatTurn} from the {@code data:} lines of a streamed Chat Completions response: text
 * deltas (passed on as they come), tool calls assembled from their fragments by index (several per turn),
 * the usage chunk, and {@code [DONE]}.
 */
final class StreamAssembler {
    private final TextStream text;
    private final StringBuilder content = new StringBuilder();
    private final Map<Integer, PartialCall> calls = new TreeMap<>();
    private TokenUsage usage;
    private String finishReason;
    private boolean done;
    private boolean sawData;
    private String firstOtherLine;

    private static final class PartialCall {
        String id;
        String name;
        final StringBuilder arguments = new StringBuilder();
    }

    StreamAssembler(TextStream text) {
        this.text = text;
    }

    boolean done() {
        return done;
    }

    /** Takes one line of the event stream; blank lines, comments and other fields are ignored. */
    void line(String line) throws ModelException {
        if (!line.startsWith("data:")) {
            if (firstOtherLine == null && !line.isBlank() && !line.startsWith(":")) {
                firstOtherLine = abbreviate(line.strip());
            }
            return;
        }
        sawData = true;
        String data = line.substring(5).strip();
        if (data.equals("[DONE]")) {
            done = true;
            return;
        }
        JsonNode chunk;
        try {
            chunk = Json.mapper().readTree(data);
        } catch (JsonProcessingException e) {
            throw new ModelException("llm_error", "the model sent a malformed stream chunk: " + abbreviate(data));
        }
        if (chunk == null || !chunk.isObject()) {
            throw new ModelException("llm_error", "the model sent a malformed stream chunk: " + abbreviate(data));
        }
        if (chunk.has("error")) {
            throw new ModelException("llm_error", "the model reported an error: " + errorMessage(chunk.get("error")));
        }
        JsonNode usageNode = chunk.get("usage");
        if (usageNode != null && usageNode.isObject()) {
            usage = new TokenUsage(usageNode.path("prompt_tokens").asLong(), usageNode.path("completion_tokens").asLong());
        }
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode delta = choice.path("delta");
            JsonNode piece = delta.get("content");
            if (piece != null && piece.isTextual() && !piece.asText().isEmpty()) {
                content.append(piece.asText());
                text.delta(piece.asText());
            }
            for (JsonNode fragment : delta.path("tool_calls")) {
                PartialCall call = calls.computeIfAbsent(fragment.path("index").asInt(calls.size()), key -> new PartialCall());
                if (fragment.hasNonNull("id")) {
                    call.id = fragment.get("id").asText();
                }
                JsonNode function = fragment.path("function");
                if (function.hasNonNull("name")) {
                    call.name = function.get("name").asText();
                }
                if (function.hasNonNull("arguments")) {
                    call.arguments.append(function.get("arguments").asText());
                }
            }
            if (choice.hasNonNull("finish_reason")) {
                finishReason = choice.get("finish_reason").asText();
            }
        }
    }

    ChatTurn turn() throws ModelException {
        if (!sawData) {
            // e.g. a server that ignored "stream": true and sent one JSON object: not an empty answer
            throw new ModelException("llm_error", "the model endpoint did not answer with an event stream"
                    + (firstOtherLine == null ? " (the body was empty)" : ": " + firstOtherLine));
        }
        List<ToolCall> toolCalls = new ArrayList<>();
        int index = 0;
        for (PartialCall call : calls.values()) {
            index++;
            if (call.name == null) {
                throw new ModelException("llm_error", "the model sent a tool call without a function name");
            }
            String id = call.id == null ? "call_" + index : call.id;
            toolCalls.add(new ToolCall(id, call.name, arguments(call.arguments.toString())));
        }
        return new ChatTurn(content.toString(), toolCalls, usage, finishReason);
    }

    /** The arguments as JSON; text that is not JSON is kept as a string, which the dispatcher refuses. */
    private static JsonNode arguments(String raw) {
        if (raw.isBlank()) {
            return Json.object();
        }
        try {
            return Json.mapper().readTree(raw);
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(raw);
        }
    }

    static String errorMessage(JsonNode error) {
        if (error.isTextual()) {
            return error.asText();
        }
        return error.path("message").asText(Json.write(error));
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
