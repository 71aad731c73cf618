package dev.overseer.core.model;

import dev.overseer.core.tool.ToolCall;
import dev.overseer.core.tool.ToolOutcome;
import java.util.List;

/** One entry of the conversation a model sees during a run. */
public sealed interface ConversationItem {
    /** What the user said. */
    record UserText(String text) implements ConversationItem {
    }

    /** The model's earlier answer. */
    record AssistantText(String text) implements ConversationItem {
    }

    /** The tool calls the model asked for in one step, with the text it wrote before them (null if none). */
    record AssistantToolCalls(String text, List<ToolCall> calls) implements ConversationItem {
        public AssistantToolCalls {
            calls = List.copyOf(calls);
        }

        public AssistantToolCalls(List<ToolCall> calls) {
            this(null, calls);
        }
    }

    /** The outcome of one of those calls. */
    record ToolResult(ToolOutcome outcome) implements ConversationItem {
    }
}
