package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Traces leave the real process over OTLP/HTTP when {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set (SPEC §2): a receiver
 * on loopback decodes what the node posts to {@code /v1/traces} with OpenTelemetry's own protobuf messages, and finds
 * the request, the run and the tool call, with the node named in the resource.
 */
class OtlpExportTest {
    private static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
    private static final String CALLER_SPAN = "b7ad6b7169203331";

    private final List<ResourceSpans> received = new CopyOnWriteArrayList<>();
    private HttpServer receiver;

    @BeforeEach
    void startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            InputStream in = new ByteArrayInputStream(body);
            if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                in = new GZIPInputStream(in);
            }
            received.addAll(ExportTraceServiceRequest.parseFrom(in).getResourceSpansList());
            byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    @Test
    void aRunsSpans_reachAnOtlpHttpReceiver_inTheCallersTrace_namingTheNode() throws Exception {
        Path dataDir = Files.createTempDirectory("overseer-it-otlp-");
        String token = Jwts.signed(TestServer.SECRET, "traced-user");
        NodeProcess node = NodeProcess.start("otlp", dataDir, TestDatabase.newDatabaseUrl(dataDir), Map.of(
                "OVERSEER_NODE_ID", "node-otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + receiver.getAddress().getPort(),
                "OTEL_BSP_SCHEDULE_DELAY", "100"));
        try {
            node.awaitHealthy();
            String thread = node.json(token, "POST", "/api/threads", "{}").path("id").asText();
            HttpResponse<String> run = node.send(token, "POST", "/api/threads/" + thread + "/runs?wait=true",
                    "{\"content\":\"What is 6*7?\"}", Map.of("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01"));
            assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
            JsonNode stored = WsClient.JSON.readTree(run.body());
            String runId = stored.path("id").asText();

            Span agent = await("the run's span is exported").atMost(Duration.ofSeconds(20))
                    .until(() -> span("invoke_agent supervisor"), Optional::isPresent).get();
            assertThat(hex(agent.getTraceId().toByteArray())).isEqualTo(TRACE_ID);
            assertThat(attribute(agent, "overseer.run.id")).isEqualTo(runId);
            assertThat(attribute(agent, "overseer.run.status")).isEqualTo("completed");
            Span request = await().atMost(Duration.ofSeconds(20))
                    .until(() -> span("POST /api/threads/{id}/runs"), Optional::isPresent).get();
            assertThat(hex(request.getParentSpanId().toByteArray())).isEqualTo(CALLER_SPAN);
            assertThat(agent.getParentSpanId()).isEqualTo(request.getSpanId());
            Span tool = await().atMost(Duration.ofSeconds(20))
                    .until(() -> span("execute_tool calculator"), Optional::isPresent).get();
            assertThat(tool.getParentSpanId()).isEqualTo(agent.getSpanId());
            await().atMost(Duration.ofSeconds(20)).until(() -> span("chat offline").isPresent());

            Resource resource = received.getFirst().getResource();
            assertThat(resourceAttribute(resource, "service.name")).isEqualTo("overseer");
            assertThat(resourceAttribute(resource, "service.instance.id")).isEqualTo("node-otlp");
        } finally {
            node.close();
        }
        assertThat(node.process().exitValue()).as("a graceful stop").isZero();
    }

    private Optional<Span> span(String name) {
        return received.stream().flatMap(resource -> resource.getScopeSpansList().stream())
                .flatMap(scope -> scope.getSpansList().stream())
                .filter(span -> span.getName().equals(name))
                .findFirst();
    }

    private static String attribute(Span span, String key) {
        return value(span.getAttributesList(), key);
    }

    private static String resourceAttribute(Resource resource, String key) {
        return value(resource.getAttributesList(), key);
    }

    private static String value(List<KeyValue> attributes, String key) {
        return attributes.stream().filter(attribute -> attribute.getKey().equals(key)).findFirst()
                .map(attribute -> attribute.getValue().getStringValue()).orElse(null);
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
