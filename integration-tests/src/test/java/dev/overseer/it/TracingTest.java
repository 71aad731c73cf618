package dev.overseer.it;

import static dev.overseer.it.ScriptedLlmServer.answer;
import static dev.overseer.it.ScriptedLlmServer.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Traces (SPEC §2, ADR 0030), recorded by OpenTelemetry's in-memory exporter from the real server in this JVM: the
 * HTTP request's span continues the caller's {@code traceparent}; the run is its child (or the child of the
 * WebSocket handshake's {@code traceparent}); model steps and tool calls nest under the run with GenAI's attributes;
 * the event writer's commits link to the runs they store.
 */
class TracingTest {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");

    private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private static ScriptedLlmServer llm;
    private static OpenTelemetrySdk telemetry;
    private static TestServer server;

    @BeforeAll
    static void start() {
        llm = ScriptedLlmServer.start();
        telemetry = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .build();
        Map<String, String> env = new HashMap<>();
        env.put("OVERSEER_LLM_BASE_URL", llm.baseUrl());
        env.put("OVERSEER_LLM_MODEL", "test-model");
        env.put("OVERSEER_LLM_API_KEY", "sk-test");
        server = TestServer.start(env, telemetry);
    }

    @AfterAll
    static void stop() {
        server.close();
        telemetry.close();
        llm.close();
    }

    @BeforeEach
    void clear() {
        spans.reset();
    }

    @Test
    void httpRun_continuesTheCallersTrace_withRunModelAndToolSpans_andCommitsLinkedToTheRun() {
        llm.script(
                stream().toolCall(0, "call_calc", "calculator", "{\"expression\":\"6*7\"}").finish("tool_calls")
                        .usage(50, 10).done(),
                answer(80, 6, "It is ", "42."));
        Http http = new Http(server, server.token("alice"));
        String thread = http.createThread();
        String traceparent = "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01";

        Http.Response run = http.send(http.builder("/api/threads/" + thread + "/runs?wait=true")
                .header("Content-Type", "application/json")
                .header("traceparent", traceparent)
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"What is 6*7?\"}")));
        assertThat(run.status()).isEqualTo(200);
        String runId = run.json().path("id").asText();

        SpanData request = awaitSpan(span -> span.getKind() == SpanKind.SERVER
                && span.getName().equals("POST /api/threads/{id}/runs"));
        assertThat(request.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(request.getParentSpanId()).isEqualTo(CALLER_SPAN);
        assertThat(request.getAttributes().get(AttributeKey.stringKey("http.route")))
                .isEqualTo("/api/threads/{id}/runs");
        assertThat(request.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);

        SpanData agent = awaitSpan(span -> span.getName().equals("invoke_agent supervisor"));
        assertThat(agent.getTraceId()).isEqualTo(TRACE_ID);
        assertThat(agent.getParentSpanId()).as("the run is a child of the request").isEqualTo(request.getSpanId());
        assertThat(agent.getAttributes().get(OPERATION)).isEqualTo("invoke_agent");
        assertThat(agent.getAttributes().get(AttributeKey.stringKey("gen_ai.agent.name"))).isEqualTo("supervisor");
        assertThat(agent.getAttributes().get(AttributeKey.stringKey("overseer.run.id"))).isEqualTo(runId);
        assertThat(agent.getAttributes().get(AttributeKey.stringKey("overseer.thread.id"))).isEqualTo(thread);
        assertThat(agent.getAttributes().get(AttributeKey.stringKey("overseer.run.origin"))).isEqualTo("http");
        assertThat(agent.getAttributes().get(AttributeKey.stringKey("overseer.run.status"))).isEqualTo("completed");

        List<SpanData> chats = children(agent, span -> "chat".equals(span.getAttributes().get(OPERATION)));
        assertThat(chats).hasSize(2).allSatisfy(chat -> {
            assertThat(chat.getName()).isEqualTo("chat test-model");
            assertThat(chat.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
            assertThat(chat.getAttributes().get(AttributeKey.stringKey("gen_ai.request.model"))).isEqualTo("test-model");
        });
        assertThat(chats).extracting(chat -> chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens")))
                .containsExactlyInAnyOrder(50L, 80L);
        assertThat(chats).extracting(chat -> chat.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens")))
                .containsExactlyInAnyOrder(10L, 6L);

        List<SpanData> tools = children(agent, span -> "execute_tool".equals(span.getAttributes().get(OPERATION)));
        assertThat(tools).singleElement().satisfies(tool -> {
            assertThat(tool.getName()).isEqualTo("execute_tool calculator");
            assertThat(tool.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name"))).isEqualTo("calculator");
            assertThat(tool.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.call.id"))).isEqualTo("call_calc");
            assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        });

        // The admission was committed within the request, the outcome within the run: both commits link to them.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            List<SpanData> commits = spans.getFinishedSpanItems().stream()
                    .filter(span -> span.getName().equals("COMMIT overseer")).toList();
            assertThat(commits).allSatisfy(commit -> {
                assertThat(commit.getParentSpanContext().isValid()).as("a commit is a root span").isFalse();
                assertThat(commit.getAttributes().get(AttributeKey.stringKey("db.system.name")))
                        .isEqualTo(TestDatabase.kind().equals("postgres") ? "postgresql" : "h2");
                assertThat(commit.getAttributes().get(AttributeKey.longKey("db.operation.batch.size"))).isPositive();
            });
            List<String> linked = commits.stream().flatMap(commit -> commit.getLinks().stream())
                    .map(LinkData::getSpanContext).map(context -> context.getSpanId()).toList();
            assertThat(linked).contains(request.getSpanId(), agent.getSpanId());
        });
        llm.assertScriptUsedUp();
    }

    @Test
    void webSocketRun_isAChildOfTheHandshakesTraceparent_andAFailedModelCallIsAnError() {
        llm.script(ScriptedLlmServer.error(400, "the model does not exist"));
        String traceparent = "00-" + TRACE_ID.replace('4', '5') + "-" + CALLER_SPAN.replace('0', '1') + "-01";
        try (WsClient client = WsClient.connect(server, server.token("bob"), "traceparent", traceparent)) {
            client.nextOfType("connection_established");
            client.send(Frames.startAgent("Hello", null, null));
            String runId = client.nextOfType("run_accepted").path("run_id").asText();
            List<JsonNode> events = client.runEvents(runId);
            assertThat(events.getLast().path("type").asText()).isEqualTo("run_failed");

            SpanData agent = awaitSpan(span -> span.getName().equals("invoke_agent supervisor")
                    && runId.equals(span.getAttributes().get(AttributeKey.stringKey("overseer.run.id"))));
            assertThat(agent.getTraceId()).isEqualTo(TRACE_ID.replace('4', '5'));
            assertThat(agent.getParentSpanId()).isEqualTo(CALLER_SPAN.replace('0', '1'));
            assertThat(agent.getAttributes().get(AttributeKey.stringKey("overseer.run.origin"))).isEqualTo("websocket");
            assertThat(agent.getAttributes().get(AttributeKey.stringKey("overseer.run.status"))).isEqualTo("failed");
            assertThat(agent.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("llm_error");
            assertThat(agent.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(children(agent, span -> span.getName().equals("chat test-model"))).singleElement()
                    .satisfies(chat -> {
                        assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
                        assertThat(chat.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("llm_error");
                    });
        }
        llm.assertScriptUsedUp();
    }

    @Test
    void aRunWithoutACallersTrace_startsATraceOfItsOwn() {
        llm.script(answer(5, 1, "Hi."));
        try (WsClient client = WsClient.connect(server, server.token("carol"))) {
            client.nextOfType("connection_established");
            client.send(Frames.startAgent("Hello", null, null));
            String runId = client.nextOfType("run_accepted").path("run_id").asText();
            client.runEvents(runId);
            SpanData agent = awaitSpan(span -> runId.equals(span.getAttributes().get(AttributeKey.stringKey("overseer.run.id"))));
            assertThat(agent.getParentSpanContext().isValid()).isFalse();
            assertThat(agent.getTraceId()).isNotEqualTo(TRACE_ID);
        }
        llm.assertScriptUsedUp();
    }

    private static SpanData awaitSpan(Predicate<SpanData> which) {
        return await().atMost(Duration.ofSeconds(10)).until(
                () -> spans.getFinishedSpanItems().stream().filter(which).findFirst(), Optional::isPresent).get();
    }

    private static List<SpanData> children(SpanData parent, Predicate<SpanData> which) {
        return spans.getFinishedSpanItems().stream()
                .filter(span -> span.getParentSpanId().equals(parent.getSpanId()))
                .filter(which)
                .toList();
    }
}
