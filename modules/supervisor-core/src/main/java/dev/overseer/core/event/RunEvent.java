package dev.overseer.core.event;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.json.Json;
import dev.overseer.core.json.JsonObjectWriter;
import java.time.Instant;
import java.util.Objects;

/**
 * One sequenced event of one run, already encoded: {@code json} is exactly what clients receive live,
 * what is stored, and what a replay sends again.
 */
public record RunEvent(RunId runId, ThreadId threadId, int seq, String type, boolean terminal, String json) {
    public RunEvent {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(threadId, "threadId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(json, "json");
        if (seq < 1) {
            throw new IllegalArgumentException("seq starts at 1, got " + seq);
        }
    }

    /** Encodes a payload as the event with this run, thread, sequence number, time and agent. */
    public static RunEvent encode(RunId runId, ThreadId threadId, int seq, Instant timestamp, String agent,
            EventPayload payload) {
        StringBuilder json = new StringBuilder(384);
        JsonObjectWriter event = new JsonObjectWriter(json)
                .put("type", payload.type())
                .put("run_id", runId.value())
                .put("thread_id", threadId.value())
                .put("seq", seq)
                .put("timestamp", Json.timestamp(timestamp))
                .put("agent", agent);
        JsonObjectWriter fields = event.object("payload");
        payload.writeTo(fields);
        fields.end();
        event.end();
        return new RunEvent(runId, threadId, seq, payload.type(), payload.terminal(), json.toString());
    }

    /** Whether a stored type names a terminal event. */
    public static boolean isTerminalType(String type) {
        return type.equals("run_completed") || type.equals("run_failed") || type.equals("run_cancelled");
    }

    /** An event read back from storage: {@code json} as {@link #encode} wrote it. */
    public static RunEvent decode(RunId runId, ThreadId threadId, int seq, String json) {
        String type = typeOf(json);
        return new RunEvent(runId, threadId, seq, type, isTerminalType(type), json);
    }

    /** {@link #encode} writes {@code type} first, so it is read without parsing the rest of the document. */
    private static String typeOf(String json) {
        String prefix = "{\"type\":\"";
        if (json.startsWith(prefix)) {
            int end = json.indexOf('"', prefix.length());
            if (end > 0) {
                return json.substring(prefix.length(), end);
            }
        }
        return Json.readTrusted(json).path("type").asText();
    }
}
