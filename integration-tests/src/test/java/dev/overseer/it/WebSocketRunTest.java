package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WebSocketRunTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void startAgent_calculation_streamsEveryEventInOrder_andHttpReplaysTheSame() {
        String token = server.token("alice");
        try (WsClient client = WsClient.connect(server, token)) {
            JsonNode hello = client.next();
            assertThat(hello.path("type").asText()).isEqualTo("connection_established");
            assertThat(hello.path("user_id").asText()).isEqualTo("alice");
            assertThat(hello.path("connection_id").asText()).startsWith("conn_");
            assertThat(hello.path("protocol").asText()).isEqualTo("overseer.v1");

            client.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"r1\"}");
            JsonNode accepted = client.next();
            assertThat(accepted.path("type").asText()).isEqualTo("run_accepted");
            assertThat(accepted.path("request_id").asText()).isEqualTo("r1");
            String runId = accepted.path("run_id").asText();
            assertThat(runId).startsWith("run_");
            assertThat(accepted.path("thread_id").asText()).startsWith("thr_");

            List<JsonNode> events = client.runEvents(runId);
            assertThat(events).extracting(e -> e.path("type").asText()).containsExactly(
                    "agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed",
                    "run_completed");
            assertThat(events).extracting(e -> e.path("seq").asInt()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(events.get(3).path("payload").path("result").asInt()).isEqualTo(42);
            assertThat(events.get(5).path("payload").path("output").asText()).contains("42");

            Http http = new Http(server, token);
            Http.Response replay = http.get("/api/runs/" + runId + "/events");
            assertThat(replay.status()).isEqualTo(200);
            assertThat(replay.json().path("data")).containsExactlyElementsOf(events);

            Http.Response run = http.get("/api/runs/" + runId);
            assertThat(run.json().path("status").asText()).isEqualTo("completed");
            assertThat(run.json().path("origin").asText()).isEqualTo("websocket");
        }
    }

    @Test
    void connect_withBearerSubprotocol_selectsOverseerProtocol() {
        try (WsClient client = WsClient.connectWithSubprotocol(server, server.token("bob"))) {
            assertThat(client.socket().getSubprotocol()).isEqualTo("overseer.v1");
            assertThat(client.next().path("user_id").asText()).isEqualTo("bob");
        }
    }
}
