package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: the Prometheus text exposition, without auth, covers both transports, runs and the pool. */
class MetricsTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\d+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static TestServer server;

    /** One sample line: metric name, labels, value. */
    private record Sample(String name, Map<String, String> labels, double value) {
    }

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
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

            // While the WebSocket is still open. Meters are recorded as runs and exchanges complete, which may be
            // just after the client saw the end: poll briefly.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> assertScrape());
        }
    }

    private static void assertScrape() {
        Http.Response scrape = new Http(server, null).get("/metrics");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.header("Content-Type")).startsWith("text/plain");
        List<Sample> samples = parse(scrape.body());
        String text = scrape.body();

        assertThat(value(samples, "overseer_runs_started_total", Map.of("transport", "http"))).isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_runs_started_total", Map.of("transport", "websocket")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_runs_finished_total", Map.of("transport", "http", "status", "completed")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_runs_finished_total", Map.of("transport", "websocket", "status", "completed")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_run_duration_seconds_count", Map.of("status", "completed")))
                .isGreaterThanOrEqualTo(2);
        assertThat(value(samples, "overseer_events_emitted_total", Map.of())).isGreaterThanOrEqualTo(12);
        assertThat(value(samples, "overseer_errors_total", Map.of("transport", "http", "code", "not_found")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_errors_total", Map.of("transport", "websocket", "code", "invalid_json")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_websocket_connections", Map.of())).isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_websocket_message_duration_seconds_count", Map.of("type", "start_agent")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_http_request_duration_seconds_count",
                Map.of("method", "POST", "route", "/api/threads/{id}/runs", "status", "200")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "overseer_http_request_duration_seconds_count",
                Map.of("method", "GET", "route", "/api/threads/{id}", "status", "404")))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "hikaricp_connections", Map.of())).isGreaterThanOrEqualTo(1);
        assertThat(value(samples, "jvm_memory_used_bytes", Map.of("area", "heap"))).isGreaterThan(0);
        assertThat(text).contains("# TYPE overseer_runs_started_total counter",
                "# TYPE overseer_run_duration_seconds histogram", "# TYPE overseer_websocket_connections gauge");
    }

    @Test
    void metrics_needNoToken_andIgnoreOne() {
        assertThat(new Http(server, null).get("/metrics").status()).isEqualTo(200);
        assertThat(new Http(server, "not-a-token").get("/metrics").status()).isEqualTo(200);
        JsonNode health = new Http(server, null).get("/healthz").json();
        assertThat(health.path("status").asText()).isEqualTo("ok");
    }

    /** The sum of every sample of this metric whose labels include {@code labels} (so 0 when there is none). */
    private static double value(List<Sample> samples, String name, Map<String, String> labels) {
        return samples.stream()
                .filter(sample -> sample.name().equals(name))
                .filter(sample -> sample.labels().entrySet().containsAll(labels.entrySet()))
                .mapToDouble(Sample::value)
                .sum();
    }

    private static List<Sample> parse(String exposition) {
        List<Sample> samples = new ArrayList<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            assertThat(sample.matches()).as("a sample line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(3))));
        }
        return samples;
    }
}
