package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.app.ConfigException;
import dev.overseer.app.OverseerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code OVERSEER_LOG_FORMAT=json} (SPEC §2, ADR 0027): one JSON object per line, the access log's fields, the node
 * on every line, and no secret anywhere in the log of a whole session.
 */
class JsonLogsTest {
    private static final String MCP_TOKEN = "mcp-header-secret-0f1e2d3c4b5a";

    @Test
    void aFormatThatIsNeitherTextNorJson_stopsStartUp() {
        assertThatThrownBy(() -> OverseerConfig.fromEnvironment(
                        Map.of("OVERSEER_LOG_FORMAT", "xml"), 0))
                .isInstanceOf(ConfigException.class)
                .hasMessage("OVERSEER_LOG_FORMAT must be text or json, got 'xml'");
    }

    @Test
    void aSessionsLog_isOneJsonObjectPerLine_withTheAccessFields_andNoSecret() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-json-logs-");
        Path agents = dataDir.resolve("agents.json");
        // An HTTP MCP server that is not there: its connection errors are logged, its header value must not be.
        Files.writeString(agents, """
                {"mcp_servers": {"crm": {"url": "http://127.0.0.1:1/mcp",
                                         "headers": {"Authorization": "Bearer ${MCP_TOKEN}"}}},
                 "agents": []}""");
        String token = Jwts.signed(TestServer.SECRET, "logged-user");
        NodeProcess node = NodeProcess.start("json-logs", dataDir, TestDatabase.newDatabaseUrl(dataDir), Map.of(
                "OVERSEER_LOG_FORMAT", "json", "OVERSEER_AGENTS_FILE", agents.toString(), "MCP_TOKEN", MCP_TOKEN,
                "OVERSEER_NODE_ID", "node_json_logs"),
                // The logging the jar ships with, not this module's test logging.
                List.of("-Dlogback.configurationFile=logback.xml"));
        try {
            node.awaitHealthy();
            String thread = node.json(token, "POST", "/api/threads", "{}").path("id").asText();
            node.json(token, "POST", "/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}");
            assertThat(node.send("not-a-token", "GET", "/api/threads", null).statusCode()).isEqualTo(401);
            try (WsClient client = WsClient.connect(node.ws(), token)) {
                client.next();
                client.send(Frames.startAgent("What is 2+2?", thread, "ws-run"));
                client.runEvents(client.nextOfType("run_accepted").path("run_id").asText());
            }
            // The server logs the connection when it has handled the client's close; stopping it first would close
            // the connection itself, with 1001.
            await("the connection's access line").atMost(Duration.ofSeconds(10))
                    .until(() -> node.output().contains("WS /ws closed"));
        } finally {
            node.close();
        }
        // The whole session, shutdown included.
        String log = node.output();

        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.lines().filter(line -> line.startsWith("{")).toList()) {
            lines.add(WsClient.JSON.readTree(line));
        }
        assertThat(log.lines().filter(line -> !line.isBlank() && !line.startsWith("{") && !line.startsWith("WARNING: ")))
                .as("every line the server logs is JSON (the JVM's own WARNING lines aside)").isEmpty();
        assertThat(lines).isNotEmpty().allSatisfy(line -> {
            assertThat(line.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(line.path("level").asText()).isIn("INFO", "WARN", "ERROR", "DEBUG");
            assertThat(line.path("logger").asText()).isNotBlank();
            assertThat(line.has("message")).isTrue();
            assertThat(line.path("node_id").asText()).isEqualTo("node_json_logs");
        });
        List<JsonNode> access = lines.stream().filter(line -> line.path("logger").asText().equals("dev.overseer.access"))
                .toList();
        assertThat(access).anySatisfy(line -> {
            assertThat(line.path("method").asText()).isEqualTo("POST");
            assertThat(line.path("route").asText()).isEqualTo("/api/threads/{id}/runs");
            assertThat(line.path("status").asInt()).isEqualTo(200);
            assertThat(line.path("duration_ms").isNumber()).isTrue();
            assertThat(line.path("request_id").asText()).startsWith("req_");
            assertThat(line.path("user_id").asText()).isEqualTo("logged-user");
        });
        assertThat(access).anySatisfy(line -> assertThat(line.path("status").asInt()).isEqualTo(401));
        // The WebSocket connection's line, when it closed: the client sent start_agent, the server its hello, the
        // acceptance and the run's events.
        assertThat(access).anySatisfy(line -> {
            assertThat(line.path("route").asText()).isEqualTo("/ws");
            assertThat(line.path("connection_id").asText()).startsWith("conn_");
            assertThat(line.path("user_id").asText()).isEqualTo("logged-user");
            assertThat(line.path("close_code").asInt()).isEqualTo(1000);
            assertThat(line.path("duration_ms").isNumber()).isTrue();
            assertThat(line.path("frames_in").asLong()).isEqualTo(1);
            assertThat(line.path("frames_out").asLong()).isGreaterThanOrEqualTo(4);
        });
        assertThat(log).doesNotContain(TestServer.SECRET).doesNotContain(token).doesNotContain(MCP_TOKEN)
                .doesNotContain("not-a-token");
    }
}
