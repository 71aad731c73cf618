package dev.overseer.core.model;

import dev.overseer.core.tool.ToolCall;
import java.util.List;

/** A model's answer to one step: call tools, or answer. {@code thinking} is shown to clients when present. */
public sealed interface ModelReply {
    String thinking();

    /** The model wants these tools called, then to be asked again. */
    record CallTools(String thinking, List<ToolCall> calls) implements ModelReply {
        public CallTools {
            calls = List.copyOf(calls);
            if (calls.isEmpty()) {
                throw new IllegalArgumentException("a tool step needs at least one call");
            }
        }
    }

    /** The model's final answer. */
    record Answer(String thinking, String text) implements ModelReply {
    }
}
