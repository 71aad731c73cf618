package dev.overseer.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.core.llm.LlmSettings;
import dev.overseer.core.llm.OpenAiChatModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ModelMetricsTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private static ModelRequest request(String model) {
        return new ModelRequest("supervisor", model, "be brief", List.of(new ConversationItem.UserText("hi")),
                List.of());
    }

    private double tokens(String model, String type) {
        return meters.get("overseer.model.tokens").tag("model", model).tag("type", type).counter().count();
    }

    private long calls(String model, String outcome) {
        return meters.get("overseer.model.call.duration").tag("model", model).tag("outcome", outcome).timer().count();
    }

    @Test
    void whatTracesAndReadinessAskOfTheConfiguredModel_isItsOwn() {
        try (OpenAiChatModel model = new OpenAiChatModel(new LlmSettings(URI.create("http://127.0.0.1:1/v1"), null,
                "gpt-default", Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ofSeconds(1)))) {
            assertThat(model.provider()).isEqualTo("openai");
            assertThat(model.modelName(request(null))).isEqualTo("gpt-default");
            assertThat(model.modelName(request("gpt-mini"))).isEqualTo("gpt-mini");
            assertThat(model.health()).hasValueSatisfying(health ->
                    assertThat(health.state()).isEqualTo(ModelHealth.UNREACHABLE));
        }
    }

    @Test
    void call_recordsEachCallsLatency_andTheTokensItReports_byModel() {
        ModelMetrics metrics = new ModelMetrics(meters, "gpt-default");

        metrics.call("gpt-default", ModelMetrics.Outcome.OK, 1_000, new TokenUsage(12, 5));
        metrics.call("gpt-default", ModelMetrics.Outcome.OK, 1_000, new TokenUsage(12, 5));
        metrics.call("small", ModelMetrics.Outcome.OK, 1_000, new TokenUsage(12, 5));

        assertThat(calls("gpt-default", "ok")).isEqualTo(2);
        assertThat(calls("small", "ok")).isEqualTo(1);
        assertThat(meters.get("overseer.model.call.duration").tag("model", "small").tag("outcome", "ok").timer()
                .totalTime(TimeUnit.NANOSECONDS)).isPositive();
        assertThat(tokens("gpt-default", "input")).isEqualTo(24);
        assertThat(tokens("gpt-default", "output")).isEqualTo(10);
        assertThat(tokens("small", "input")).isEqualTo(12);
        assertThat(tokens("small", "output")).isEqualTo(5);
    }

    @Test
    void call_withoutUsage_countsNoTokens_butTheDefaultModelsMetersExistFromTheStart() {
        ModelMetrics metrics = new ModelMetrics(meters, OfflineModel.NAME);
        assertThat(calls(OfflineModel.NAME, "ok")).isZero();

        metrics.call(OfflineModel.NAME, ModelMetrics.Outcome.OK, 1_000, null);

        assertThat(calls(OfflineModel.NAME, "ok")).isEqualTo(1);
        assertThat(tokens(OfflineModel.NAME, "input")).isZero();
        assertThat(tokens(OfflineModel.NAME, "output")).isZero();
    }

    @Test
    void call_failingOrInterrupted_isRecordedAsErrorOrCancelled() {
        ModelMetrics metrics = new ModelMetrics(meters, "gpt");

        metrics.call("gpt", ModelMetrics.Outcome.ERROR, 1_000, null);
        metrics.call("gpt", ModelMetrics.Outcome.CANCELLED, 1_000, null);

        assertThat(calls("gpt", "error")).isEqualTo(1);
        assertThat(calls("gpt", "cancelled")).isEqualTo(1);
        assertThat(calls("gpt", "ok")).isZero();
    }
}
