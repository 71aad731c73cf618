package dev.overseer.core.llm;

import dev.overseer.core.model.TokenUsage;
import dev.overseer.core.tool.ToolCall;
import java.util.List;

/** One streamed completion, assembled: its text, the tool calls it asked for, and the tokens it used. */
record ChatTurn(String content, List<ToolCall> toolCalls, TokenUsage usage, String finishReason) {
    ChatTurn {
        toolCalls = List.copyOf(toolCalls);
    }
}
