package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

/** The client frames of SPEC §5 as JSON text, and assertions on the frames and events the server sends. */
public final class Frames {
    private Frames() {
    }

    public static String startAgent(String content, String threadId, String requestId) {
        ObjectNode frame = WsClient.JSON.createObjectNode().put("type", "start_agent").put("content", content);
        if (threadId != null) {
            frame.put("thread_id", threadId);
        }
        if (requestId != null) {
            frame.put("request_id", requestId);
        }
        return frame.toString();
    }

    public static String cancelRun(String runId, String requestId) {
        return WsClient.JSON.createObjectNode().put("type", "cancel_run").put("run_id", runId)
                .put("request_id", requestId).toString();
    }

    public static String resume(String runId, int afterSeq, String requestId) {
        return WsClient.JSON.createObjectNode().put("type", "resume").put("run_id", runId).put("after_seq", afterSeq)
                .put("request_id", requestId).toString();
    }

    public static String subscribe(String threadId, String requestId) {
        return WsClient.JSON.createObjectNode().put("type", "subscribe").put("thread_id", threadId)
                .put("request_id", requestId).toString();
    }

    public static String ping() {
        return "{\"type\":\"ping\"}";
    }

    public static String type(JsonNode frame) {
        return frame.path("type").asText();
    }

    public static List<Integer> seqs(List<JsonNode> events) {
        return events.stream().map(event -> event.path("seq").asInt()).toList();
    }

    /** Asserts an error frame with this code (and request id, when not null). */
    public static JsonNode assertError(JsonNode frame, String code, String requestId) {
        assertThat(type(frame)).as("frame %s", frame).isEqualTo("error");
        assertThat(frame.path("code").asText()).as("code of %s", frame).isEqualTo(code);
        assertThat(frame.path("message").asText()).as("message of %s", frame).isNotBlank();
        if (requestId != null) {
            assertThat(frame.path("request_id").asText()).as("request_id of %s", frame).isEqualTo(requestId);
        }
        return frame;
    }

    /**
     * Asserts a run's complete event list: seq 1, 2, … with no gap or repeat, exactly one terminal event, last,
     * of the given type.
     */
    public static void assertComplete(List<JsonNode> events, String terminalType) {
        assertThat(seqs(events)).as("seq of %s", events)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events.stream().filter(WsClient::isTerminal)).as("terminal events of %s", events).hasSize(1);
        assertThat(type(events.get(events.size() - 1))).as("last event of %s", events).isEqualTo(terminalType);
    }

    /** The events of a run as stored, read over HTTP. */
    public static List<JsonNode> stored(Http http, String runId) {
        Http.Response response = http.get("/api/runs/" + runId + "/events");
        assertThat(response.status()).as("events of %s: %s", runId, response.body()).isEqualTo(200);
        return List.copyOf(iterate(response.json().path("data")));
    }

    /** The run as stored, read over HTTP. */
    public static JsonNode run(Http http, String runId) {
        Http.Response response = http.get("/api/runs/" + runId);
        assertThat(response.status()).as("run %s: %s", runId, response.body()).isEqualTo(200);
        return response.json();
    }

    private static List<JsonNode> iterate(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }
}
