package dev.overseer.core.model;

import dev.overseer.core.tool.ToolCall;
import java.util.List;

/**
 * A model's answer to one step: call tools, or answer. {@code thinking} is shown to clients when present
 * (text that was already streamed as deltas is not repeated there); {@code usage} is null when the model
 * does not report it.
 */
public sealed interface ModelReply {
    String thinking();

    TokenUsage usage();

    /**
     * The model wants these tools called, then to be asked again. {@code text} is what it wrote before
     * the calls (already streamed), kept for the conversation; null if nothing.
     */
    record CallTools(String thinking, List<ToolCall> calls, TokenUsage usage, String text) implements ModelReply {
        public CallTools {
            calls = List.copyOf(calls);
            if (calls.isEmpty()) {
                throw new IllegalArgumentException("a tool step needs at least one call");
            }
        }

        public CallTools(String thinking, List<ToolCall> calls) {
            this(thinking, calls, null, null);
        }
    }

    /** The model's final answer. */
    record Answer(String thinking, String text, TokenUsage usage) implements ModelReply {
        public Answer(String thinking, String text) {
            this(thinking, text, null);
        }
    }
}
