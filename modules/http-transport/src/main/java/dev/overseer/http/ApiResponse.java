package dev.overseer.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.RunId;

/** What an action answers: JSON with a status, an empty response, or a run's events as Server-Sent Events. */
public sealed interface ApiResponse {
    /** A JSON body. */
    record Json(int status, JsonNode body) implements ApiResponse {
    }

    /** A JSON body already serialised (stored events are sent as they were stored). */
    record RawJson(int status, String json) implements ApiResponse {
    }

    /** No body (204). */
    record Empty(int status) implements ApiResponse {
    }

    /** The run's events with {@code seq > afterSeq} as an SSE stream that ends after the terminal event. */
    record EventStream(RunId run, int afterSeq) implements ApiResponse {
    }

    static ApiResponse ok(JsonNode body) {
        return new Json(200, body);
    }

    static ApiResponse created(JsonNode body) {
        return new Json(201, body);
    }

    static ApiResponse accepted(JsonNode body) {
        return new Json(202, body);
    }

    static ApiResponse noContent() {
        return new Empty(204);
    }
}
