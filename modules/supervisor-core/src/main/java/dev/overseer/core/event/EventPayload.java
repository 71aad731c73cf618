package dev.overseer.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.json.JsonObjectWriter;
import dev.overseer.core.model.TokenUsage;
import java.time.Instant;

/** The typed content of a run event (SPEC §4); each kind knows its wire type and its payload JSON. */
public sealed interface EventPayload {
    /** The event's {@code type} on the wire. */
    String type();

    /** Writes the fields of the event's {@code payload} object on the wire. */
    void writeTo(JsonObjectWriter payload);

    /** Whether this payload ends a run; a run emits exactly one, last. */
    default boolean terminal() {
        return false;
    }

    /** An agent began working; {@code parentAgent} is null for the top-level agent. */
    record AgentStarted(String parentAgent) implements EventPayload {
        @Override
        public String type() {
            return "agent_started";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("parent_agent", parentAgent);
        }
    }

    /** What the agent is about to do, in words. */
    record AgentThinking(String text) implements EventPayload {
        @Override
        public String type() {
            return "agent_thinking";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("text", text);
        }
    }

    /** A piece of streamed output. */
    record AgentMessageDelta(String text) implements EventPayload {
        @Override
        public String type() {
            return "agent_message_delta";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("text", text);
        }
    }

    /** A tool call is starting. */
    record ToolExecuting(String toolCallId, String tool, JsonNode arguments) implements EventPayload {
        @Override
        public String type() {
            return "tool_executing";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("tool_call_id", toolCallId).put("tool", tool).put("arguments", arguments);
        }
    }

    /** A tool call finished, with its result or an error. */
    record ToolCompleted(String toolCallId, String tool, JsonNode result, long durationMs, String error)
            implements EventPayload {
        @Override
        public String type() {
            return "tool_completed";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("tool_call_id", toolCallId).put("tool", tool).put("result", result)
                    .put("duration_ms", durationMs).put("error", error);
        }
    }

    /**
     * How far a running tool call has come, as the tool reports it (an MCP server's progress notifications):
     * {@code total} and {@code message} are null when the tool does not say.
     */
    record ToolProgress(String toolCallId, double progress, Double total, String message) implements EventPayload {
        @Override
        public String type() {
            return "tool_progress";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("tool_call_id", toolCallId).put("progress", number(progress))
                    .put("total", total == null ? null : number(total)).put("message", message);
        }

        /** A whole number as one (servers count steps), anything else as it is. */
        private static JsonNode number(double value) {
            return value == Math.rint(value) && Math.abs(value) < 1e15 ? LongNode.valueOf((long) value)
                    : DoubleNode.valueOf(value);
        }
    }

    /** A tool call waits for the run's user to approve it, until {@code expiresAt}; the run is requires_action. */
    record ApprovalRequested(String toolCallId, String tool, JsonNode arguments, Instant expiresAt)
            implements EventPayload {
        @Override
        public String type() {
            return "approval_requested";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("tool_call_id", toolCallId).put("tool", tool).put("arguments", arguments)
                    .put("expires_at", Json.timestamp(expiresAt));
        }
    }

    /** How a waiting tool call was answered: {@code by} is {@code user} or {@code timeout}. */
    record ApprovalResolved(String toolCallId, boolean approved, String reason, String by) implements EventPayload {
        @Override
        public String type() {
            return "approval_resolved";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("tool_call_id", toolCallId).put("approved", BooleanNode.valueOf(approved))
                    .put("reason", reason).put("by", by);
        }
    }

    /** An agent finished with its output. */
    record AgentCompleted(String output) implements EventPayload {
        @Override
        public String type() {
            return "agent_completed";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("output", output);
        }
    }

    /** An agent hit an error. */
    record AgentError(String code, String message) implements EventPayload {
        @Override
        public String type() {
            return "agent_error";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("code", code).put("message", message);
        }
    }

    /** Terminal: the run completed; {@code usage} is null when the model does not report tokens. */
    record RunCompleted(String output, TokenUsage usage) implements EventPayload {
        public RunCompleted(String output) {
            this(output, null);
        }

        @Override
        public String type() {
            return "run_completed";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("output", output);
            if (usage != null) {
                payload.object("usage")
                        .put("prompt_tokens", usage.promptTokens())
                        .put("completion_tokens", usage.completionTokens())
                        .end();
            }
        }

        @Override
        public boolean terminal() {
            return true;
        }
    }

    /** Terminal: the run failed. */
    record RunFailed(String code, String message) implements EventPayload {
        @Override
        public String type() {
            return "run_failed";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            payload.put("code", code).put("message", message);
        }

        @Override
        public boolean terminal() {
            return true;
        }
    }

    /** Terminal: the run was cancelled. */
    record RunCancelled() implements EventPayload {
        @Override
        public String type() {
            return "run_cancelled";
        }

        @Override
        public void writeTo(JsonObjectWriter payload) {
            // an empty object
        }

        @Override
        public boolean terminal() {
            return true;
        }
    }
}
