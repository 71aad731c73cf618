package dev.overseer.core.llm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.ConversationItem;
import dev.overseer.core.model.ModelException;
import dev.overseer.core.model.ModelHealth;
import dev.overseer.core.model.ModelReply;
import dev.overseer.core.model.ModelRequest;
import dev.overseer.core.model.TextStream;
import dev.overseer.core.tool.ToolCall;
import dev.overseer.core.tool.ToolOutcome;
import dev.overseer.core.tool.ToolSpec;
import java.util.Optional;

/**
 * A model behind an OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, Ollama, llama.cpp, LM
 * Studio, gateways): each step is one streamed request with the agent's system prompt, the conversation,
 * and its tools; text is streamed back as it comes, tool calls are assembled from their fragments.
 */
public final class OpenAiChatModel implements ChatModel, AutoCloseable {
    private final LlmSettings settings;
    private final ChatCompletionsClient client;

    public OpenAiChatModel(LlmSettings settings) {
        this.settings = settings;
        this.client = new ChatCompletionsClient(settings);
    }

    @Override
    public ModelReply next(ModelRequest request, TextStream stream) throws ModelException, InterruptedException {
        ChatTurn turn = client.stream(body(request), stream);
        String content = turn.content().isEmpty() ? null : turn.content();
        if (!turn.toolCalls().isEmpty()) {
            // Text before the calls was streamed as deltas already; it stays in the conversation, not in thinking.
            return new ModelReply.CallTools(null, turn.toolCalls(), turn.usage(), content);
        }
        if ("length".equals(turn.finishReason()) && content == null) {
            throw new ModelException("llm_error", "the model stopped at its length limit without an answer");
        }
        return new ModelReply.Answer(null, content == null ? "" : content, turn.usage());
    }

    @Override
    public String provider() {
        return "openai";
    }

    @Override
    public String modelName(ModelRequest request) {
        return request.model() == null ? settings.model() : request.model();
    }

    @Override
    public Optional<ModelHealth> health() {
        return Optional.of(client.health());
    }

    @Override
    public boolean usesHistory() {
        return true;
    }

    /** The Chat Completions request for one step. */
    ObjectNode body(ModelRequest request) {
        ObjectNode body = Json.object()
                .put("model", modelName(request))
                .put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", request.systemPrompt());
        for (ConversationItem item : request.conversation()) {
            switch (item) {
                case ConversationItem.UserText user -> messages.addObject().put("role", "user").put("content", user.text());
                case ConversationItem.AssistantText assistant ->
                        messages.addObject().put("role", "assistant").put("content", assistant.text());
                case ConversationItem.AssistantToolCalls calls -> {
                    ObjectNode message = messages.addObject().put("role", "assistant");
                    message.put("content", calls.text());
                    ArrayNode toolCalls = message.putArray("tool_calls");
                    for (ToolCall call : calls.calls()) {
                        ObjectNode entry = toolCalls.addObject().put("id", call.id()).put("type", "function");
                        entry.putObject("function").put("name", call.tool()).put("arguments",
                                call.arguments().isTextual() ? call.arguments().asText() : Json.write(call.arguments()));
                    }
                }
                case ConversationItem.ToolResult result -> messages.addObject()
                        .put("role", "tool")
                        .put("tool_call_id", result.outcome().call().id())
                        .put("content", toolContent(result.outcome()));
            }
        }
        if (!request.tools().isEmpty()) {
            ArrayNode tools = body.putArray("tools");
            for (ToolSpec spec : request.tools()) {
                ObjectNode function = tools.addObject().put("type", "function").putObject("function");
                function.put("name", spec.name()).put("description", spec.description());
                function.set("parameters", spec.parameters());
            }
            body.put("tool_choice", "auto");
        }
        return body;
    }

    private static String toolContent(ToolOutcome outcome) {
        if (outcome.failed()) {
            return Json.write(Json.object().put("error", outcome.error()));
        }
        return outcome.result().isTextual() ? outcome.result().asText() : Json.write(outcome.result());
    }

    @Override
    public void close() {
        client.close();
    }
}
