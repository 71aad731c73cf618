package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.overseer.context.ConnectionId;
import dev.overseer.context.Principal;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.context.WebSocketContext;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.run.RunRejectedException.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The server's own frames, field by field as SPEC §5 names them. */
class ServerFramesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00.123Z");

    @Test
    void connectionEstablished_carriesTheConnectionUserProtocolAndLimits() throws Exception {
        ConnectionId connection = ConnectionId.generate();
        WebSocketContext context = new WebSocketContext(connection,
                new Principal(new UserId("alice"), NOW.plusSeconds(60)), NOW);
        WebSocketSettings settings = new WebSocketSettings(65_536, Duration.ofSeconds(25), Duration.ofSeconds(75), 10,
                1 << 20);

        JsonNode frame = JSON.readTree(ServerFrames.connectionEstablished(context, settings, NOW));

        assertThat(fieldNames(frame)).containsExactly("type", "connection_id", "user_id", "protocol",
                "heartbeat_seconds", "max_message_bytes", "server_time");
        assertThat(frame.path("type").asText()).isEqualTo("connection_established");
        assertThat(frame.path("connection_id").asText()).isEqualTo(connection.value()).startsWith("conn_");
        assertThat(frame.path("user_id").asText()).isEqualTo("alice");
        assertThat(frame.path("protocol").asText()).isEqualTo("overseer.v1");
        assertThat(frame.path("heartbeat_seconds").asInt()).isEqualTo(25);
        assertThat(frame.path("max_message_bytes").asInt()).isEqualTo(65_536);
        assertThat(frame.path("server_time").asText()).isEqualTo("2026-11-28T10:00:00.123Z");
    }

    @Test
    void runAccepted_echoesTheRequestId_orNullWithoutOne() throws Exception {
        RunId run = RunId.generate();
        ThreadId thread = ThreadId.generate();

        JsonNode withId = JSON.readTree(ServerFrames.runAccepted("r1", run, thread));
        JsonNode withoutId = JSON.readTree(ServerFrames.runAccepted(null, run, thread));

        assertThat(withId.path("type").asText()).isEqualTo("run_accepted");
        assertThat(withId.path("request_id").asText()).isEqualTo("r1");
        assertThat(withId.path("run_id").asText()).isEqualTo(run.value());
        assertThat(withId.path("thread_id").asText()).isEqualTo(thread.value());
        assertThat(withoutId.has("request_id")).isTrue();
        assertThat(withoutId.path("request_id").isNull()).isTrue();
    }

    @Test
    void pong_carriesTheServerTime() throws Exception {
        JsonNode pong = JSON.readTree(ServerFrames.pong(NOW));

        assertThat(fieldNames(pong)).containsExactly("type", "server_time");
        assertThat(pong.path("type").asText()).isEqualTo("pong");
        assertThat(pong.path("server_time").asText()).isEqualTo("2026-11-28T10:00:00.123Z");
    }

    @Test
    void error_hasCodeMessageAndRequestId() throws Exception {
        JsonNode error = JSON.readTree(ServerFrames.error("invalid_json", "the frame is not valid JSON", null));

        assertThat(fieldNames(error)).containsExactly("type", "code", "message", "request_id");
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_json");
        assertThat(error.path("message").asText()).isEqualTo("the frame is not valid JSON");
        assertThat(error.path("request_id").isNull()).isTrue();
    }

    @Test
    void rejected_rateLimited_tellsHowLongToWait() throws Exception {
        JsonNode frame = JSON.readTree(ServerFrames.rejected(
                new RunRejectedException(Reason.RATE_LIMITED, "too many runs started; retry in 250 ms", 250), "r9"));

        assertThat(frame.path("code").asText()).isEqualTo("rate_limited");
        assertThat(frame.path("message").asText()).isEqualTo("too many runs started; retry in 250 ms");
        assertThat(frame.path("request_id").asText()).isEqualTo("r9");
        assertThat(frame.path("retry_after_ms").asLong()).isEqualTo(250);
    }

    @Test
    void rejected_otherReasons_useTheReasonAsCode_withoutRetryAfter() throws Exception {
        for (Reason reason : Reason.values()) {
            if (reason == Reason.RATE_LIMITED) {
                continue;
            }
            JsonNode frame = JSON.readTree(ServerFrames.rejected(new RunRejectedException(reason, "no"), null));
            assertThat(frame.path("type").asText()).isEqualTo("error");
            assertThat(frame.path("code").asText()).isEqualTo(reason.name().toLowerCase(Locale.ROOT));
            assertThat(frame.has("retry_after_ms")).as("%s", reason).isFalse();
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
