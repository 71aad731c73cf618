package dev.overseer.ws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.IdFormat;
import dev.overseer.core.json.Json;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

/** Turns client text into a {@link ClientFrame}, or a {@link FrameError} that says precisely what is wrong. */
@Singleton
final class ClientFrameDecoder {
    @Inject
    ClientFrameDecoder() {
    }

    ClientFrame decode(String text) throws FrameError {
        JsonNode node;
        try {
            node = Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new FrameError("invalid_json", "the frame is not valid JSON", null);
        }
        if (node == null || !node.isObject()) {
            throw new FrameError("invalid_json", "a frame must be a JSON object", null);
        }
        String requestId = optionalString(node, "request_id", null);
        if (requestId != null && (requestId.isBlank() || requestId.length() > IdFormat.MAX_LENGTH)) {
            throw new FrameError("invalid_message",
                    "request_id must be a non-blank string of at most " + IdFormat.MAX_LENGTH + " characters", null);
        }
        JsonNode type = node.get("type");
        if (type == null || !type.isTextual()) {
            throw new FrameError("invalid_message", "type must be a string", requestId);
        }
        return switch (type.asText()) {
            case "start_agent" -> new ClientFrame.StartAgent(
                    requiredNonBlank(node, "content", requestId),
                    optionalString(node, "thread_id", requestId),
                    optionalString(node, "agent", requestId),
                    requestId);
            case "cancel_run" -> new ClientFrame.CancelRun(requiredNonBlank(node, "run_id", requestId), requestId);
            case "resume" -> new ClientFrame.Resume(requiredNonBlank(node, "run_id", requestId),
                    afterSeq(node, requestId), requestId);
            case "subscribe" -> new ClientFrame.Subscribe(requiredNonBlank(node, "thread_id", requestId), requestId);
            case "approve_tool" -> new ClientFrame.ApproveTool(requiredNonBlank(node, "run_id", requestId),
                    requiredNonBlank(node, "tool_call_id", requestId), approved(node, requestId),
                    optionalString(node, "reason", requestId), requestId);
            case "ping" -> new ClientFrame.Ping(requestId);
            default -> throw new FrameError("unknown_type", "unknown frame type '" + abbreviate(type.asText()) + "'",
                    requestId);
        };
    }

    private static String requiredNonBlank(JsonNode node, String field, String requestId) throws FrameError {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new FrameError("invalid_message", field + " is required", requestId);
        }
        if (!value.isTextual()) {
            throw new FrameError("invalid_message", field + " must be a string", requestId);
        }
        if (value.asText().isBlank()) {
            throw new FrameError("invalid_message", field + " must not be blank", requestId);
        }
        return optionalString(node, field, requestId);
    }

    private static String optionalString(JsonNode node, String field, String requestId) throws FrameError {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new FrameError("invalid_message", field + " must be a string", requestId);
        }
        if (value.asText().indexOf('\0') >= 0) {
            // PostgreSQL's text cannot hold it; refused here on every database alike.
            throw new FrameError("invalid_message", field + " must not contain U+0000", requestId);
        }
        return value.asText();
    }

    private static boolean approved(JsonNode node, String requestId) throws FrameError {
        JsonNode value = node.get("approved");
        if (value == null || !value.isBoolean()) {
            throw new FrameError("invalid_message", "approved is required and must be true or false", requestId);
        }
        return value.booleanValue();
    }

    private static int afterSeq(JsonNode node, String requestId) throws FrameError {
        JsonNode value = node.get("after_seq");
        if (value == null || value.isNull()) {
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
            throw new FrameError("invalid_message", "after_seq must be a whole number >= 0", requestId);
        }
        return value.asInt();
    }

    private static String abbreviate(String text) {
        return text.length() <= 64 ? text : text.substring(0, 64) + "…";
    }
}
