package dev.overseer.core.model;

import dev.overseer.core.tool.ToolSpec;
import java.util.List;

/**
 * What a model is asked for one step of a run: which agent, its model (null for the configured default),
 * its instructions, the conversation so far and the tools it may call.
 */
public record ModelRequest(String agent, String model, String systemPrompt, List<ConversationItem> conversation,
        List<ToolSpec> tools) {
    public ModelRequest {
        conversation = List.copyOf(conversation);
        tools = List.copyOf(tools);
    }

    /** The most recent conversation item. */
    public ConversationItem last() {
        return conversation.get(conversation.size() - 1);
    }
}
