package dev.overseer.ws;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.WebSocketContext;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.run.RunRejectedException;
import java.time.Instant;

/** The server's own frames (SPEC §5); run events are sent as the core encoded them. */
final class ServerFrames {
    static final String PROTOCOL = "overseer.v1";

    private ServerFrames() {
    }

    static String connectionEstablished(WebSocketContext context, WebSocketSettings settings, Instant now) {
        return Json.write(Json.object()
                .put("type", "connection_established")
                .put("connection_id", context.connectionId().value())
                .put("user_id", context.userId().value())
                .put("protocol", PROTOCOL)
                .put("heartbeat_seconds", settings.heartbeatInterval().toSeconds())
                .put("max_message_bytes", settings.maxMessageBytes())
                .put("server_time", Json.timestamp(now)));
    }

    static String runAccepted(String requestId, RunId runId, ThreadId threadId) {
        return Json.write(Json.object()
                .put("type", "run_accepted")
                .put("request_id", requestId)
                .put("run_id", runId.value())
                .put("thread_id", threadId.value()));
    }

    static String pong(Instant now) {
        return Json.write(Json.object().put("type", "pong").put("server_time", Json.timestamp(now)));
    }

    /** The error frame of a refused request; {@code rate_limited} and {@code unavailable} carry {@code retry_after_ms}. */
    static String rejected(RunRejectedException e, String requestId) {
        ObjectNode frame = errorFrame(e.reason().wire(), e.getMessage(), requestId);
        if (e.retryAfterMillis() > 0) {
            frame.put("retry_after_ms", e.retryAfterMillis());
        }
        return Json.write(frame);
    }

    static String error(String code, String message, String requestId) {
        return Json.write(errorFrame(code, message, requestId));
    }

    private static ObjectNode errorFrame(String code, String message, String requestId) {
        return Json.object()
                .put("type", "error")
                .put("code", code)
                .put("message", message)
                .put("request_id", requestId);
    }
}
