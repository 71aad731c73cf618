package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics}: the Prometheus text exposition, without auth, covers both transports, runs, the event
 * writer, the model and tools, and the pool; latencies are histograms; promtool finds nothing to object to.
 */
class MetricsTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    /** A run with a tool call over each transport, and an error frame; returns once both runs have finished. */
    private static void runOnBothTransports(String user) {
        String token = server.token(user);
        try (WsClient ws = WsClient.connect(server, token)) {
            ws.next();
            ws.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"m1\"}");
            String wsRun = ws.next().path("run_id").asText();
            ws.runEvents(wsRun);
            ws.send("{not json");
            assertThat(ws.next().path("code").asText()).isEqualTo("invalid_json");
        }
        Http http = new Http(server, token);
        String thread = http.createThread();
        assertThat(http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}").status())
                .isEqualTo(200);
    }

    private static Scrape scrape() {
        Http.Response scrape = new Http(server, null).get("/metrics");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.header("Content-Type")).startsWith("text/plain");
        return Scrape.parse(scrape.body());
    }

    @Test
    void metrics_afterWebSocketAndHttpTraffic_exposeRunsEventsErrorsConnectionsRequestsPoolAndJvm() {
        String token = server.token("metrics-alice");
        Http http = new Http(server, token);
        try (WsClient ws = WsClient.connect(server, token)) {
            ws.next();
            ws.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"m1\"}");
            String wsRun = ws.next().path("run_id").asText();
            ws.runEvents(wsRun);
            ws.send("{not json");
            assertThat(ws.next().path("code").asText()).isEqualTo("invalid_json");

            String thread = http.createThread();
            assertThat(http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}").status())
                    .isEqualTo(200);
            Problems.assertProblem(http.get("/api/threads/thr_00000000000000000000000000"), 404, "not_found");
            Problems.assertProblem(http.get("/no/such/path"), 404, "not_found");

            // While the WebSocket is still open. Meters are recorded as runs and exchanges complete, which may be
            // just after the client saw the end: poll briefly.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(scrape().value("overseer_websocket_connections", Map.of()))
                            .isGreaterThanOrEqualTo(1));
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertScrape());
    }

    private static void assertScrape() {
        Scrape scrape = scrape();

        assertThat(scrape.value("overseer_runs_started_total", Map.of("transport", "http"))).isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_runs_started_total", Map.of("transport", "websocket")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_runs_finished_total", Map.of("transport", "http", "status", "completed")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_runs_finished_total", Map.of("transport", "websocket", "status", "completed")))
                .isGreaterThanOrEqualTo(1);
        // Published at 0 before any run fails, so that a failure ratio exists from the start.
        assertThat(scrape.matching("overseer_runs_finished_total", Map.of("transport", "http", "status", "failed")))
                .hasSize(1);
        assertThat(scrape.value("overseer_run_duration_seconds_count", Map.of("status", "completed")))
                .isGreaterThanOrEqualTo(2);
        assertThat(scrape.value("overseer_run_duration_seconds_bucket", Map.of("status", "completed", "le", "+Inf")))
                .isGreaterThanOrEqualTo(2);
        assertThat(scrape.value("overseer_run_duration_seconds_bucket",
                Map.of("transport", "http", "status", "completed", "le", "1800.0"))).isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_events_emitted_total", Map.of())).isGreaterThanOrEqualTo(12);
        assertThat(scrape.value("overseer_events_written_total", Map.of())).isGreaterThanOrEqualTo(12);
        assertThat(scrape.value("overseer_event_writer_batch_size_count", Map.of())).isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_event_writer_batch_size_sum", Map.of())).isGreaterThanOrEqualTo(12);
        assertThat(scrape.value("overseer_event_writer_commit_duration_seconds_bucket", Map.of("le", "+Inf")))
                .isEqualTo(scrape.value("overseer_event_writer_commit_duration_seconds_count", Map.of()))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_errors_total", Map.of("transport", "http", "code", "not_found")))
                .isGreaterThanOrEqualTo(2);
        assertThat(scrape.value("overseer_errors_total", Map.of("transport", "websocket", "code", "invalid_json")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_websocket_message_duration_seconds_count", Map.of("type", "start_agent")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_websocket_message_duration_seconds_count", Map.of("type", "invalid")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.matching("overseer_websocket_outbound_queued_bytes", Map.of())).hasSize(1);
        assertThat(scrape.value("overseer_websocket_outbound_queued_bytes", Map.of())).isNotNegative();
        assertThat(scrape.matching("overseer_websocket_slow_reader_closes_total", Map.of())).hasSize(1);

        assertThat(scrape.value("overseer_http_request_duration_seconds_count",
                Map.of("method", "POST", "route", "/api/threads/{id}/runs", "status", "200")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_http_request_duration_seconds_count",
                Map.of("method", "GET", "route", "/api/threads/{id}", "status", "404")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_http_request_duration_seconds_bucket",
                Map.of("method", "POST", "route", "/api/threads/{id}/runs", "status", "200", "le", "10.0")))
                .isGreaterThanOrEqualTo(1);
        // The WebSocket upgrade under its own route; only the path that matches nothing is unmatched.
        assertThat(scrape.value("overseer_http_request_duration_seconds_count",
                Map.of("method", "GET", "route", "/ws", "status", "101"))).isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("overseer_http_request_duration_seconds_count", Map.of("route", "unmatched")))
                .isEqualTo(1);
        assertThat(scrape.value("overseer_http_request_duration_seconds_count",
                Map.of("method", "GET", "route", "unmatched", "status", "404"))).isEqualTo(1);

        assertThat(scrape.value("overseer_model_call_duration_seconds_count", Map.of("model", "offline", "outcome", "ok")))
                .isGreaterThanOrEqualTo(2);
        assertThat(scrape.matching("overseer_model_tokens_total", Map.of("model", "offline"))).hasSize(2);
        assertThat(scrape.value("overseer_tool_call_duration_seconds_count",
                Map.of("tool", "calculator", "outcome", "ok"))).isGreaterThanOrEqualTo(2);
        assertThat(scrape.value("overseer_tool_call_duration_seconds_bucket",
                Map.of("tool", "calculator", "outcome", "ok", "le", "+Inf"))).isGreaterThanOrEqualTo(2);

        assertThat(scrape.value("hikaricp_connections", Map.of())).isGreaterThanOrEqualTo(1);
        assertThat(scrape.matching("hikaricp_connections_active", Map.of())).hasSize(1);
        assertThat(scrape.matching("hikaricp_connections_idle", Map.of())).hasSize(1);
        assertThat(scrape.matching("hikaricp_connections_pending", Map.of())).hasSize(1);
        assertThat(scrape.value("hikaricp_connections_acquire_seconds_bucket", Map.of("le", "+Inf")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value("jvm_memory_used_bytes", Map.of("area", "heap"))).isGreaterThan(0);
        assertThat(scrape.value("process_cpu_seconds_total", Map.of())).isGreaterThan(0);
        assertThat(scrape.text()).contains("# TYPE overseer_runs_started_total counter",
                "# TYPE overseer_run_duration_seconds histogram",
                "# TYPE overseer_http_request_duration_seconds histogram",
                "# TYPE overseer_websocket_message_duration_seconds histogram",
                "# TYPE overseer_event_writer_commit_duration_seconds histogram",
                "# TYPE overseer_event_writer_batch_size histogram",
                "# TYPE overseer_model_call_duration_seconds histogram",
                "# TYPE overseer_tool_call_duration_seconds histogram",
                "# TYPE overseer_websocket_connections gauge",
                "# TYPE overseer_websocket_outbound_queued_bytes gauge",
                "# TYPE overseer_websocket_slow_reader_closes_total counter");
        assertThat(scrape.text()).doesNotContain(" summary\n");
    }

    @Test
    void metrics_afterRunsOnBothTransports_passPromtoolCheckMetrics_withNoFinding() throws Exception {
        Path promtool = Promtool.require();
        runOnBothTransports("metrics-promtool");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> scrape().value("overseer_runs_finished_total", Map.of("status", "completed")) >= 2);
        String exposition = new Http(server, null).get("/metrics").body();
        assertThat(exposition).contains("overseer_tool_call_duration_seconds_bucket");

        Promtool.Result lint = Promtool.checkMetrics(promtool, exposition);

        assertThat(lint.output()).as("promtool check metrics").isEmpty();
        assertThat(lint.exitCode()).as("promtool's exit code; it said: %s", lint.output()).isZero();
    }

    @Test
    void metrics_needNoToken_andIgnoreOne() {
        assertThat(new Http(server, null).get("/metrics").status()).isEqualTo(200);
        assertThat(new Http(server, "not-a-token").get("/metrics").status()).isEqualTo(200);
        JsonNode health = new Http(server, null).get("/healthz").json();
        assertThat(health.path("status").asText()).isEqualTo("ok");
    }
}
