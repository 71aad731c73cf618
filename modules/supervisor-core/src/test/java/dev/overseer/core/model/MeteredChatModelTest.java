package dev.overseer.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MeteredChatModelTest {
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
    void whatTracesAndReadinessAskOfTheModel_isTheWrappedModels() {
        ModelHealth down = new ModelHealth(ModelHealth.UNREACHABLE, "cannot reach it", java.time.Instant.EPOCH);
        ChatModel remote = new ChatModel() {
            @Override
            public ModelReply next(ModelRequest request, TextStream stream) {
                return new ModelReply.Answer(null, "hi", null);
            }

            @Override
            public String provider() {
                return "openai";
            }

            @Override
            public String modelName(ModelRequest request) {
                return request.model() == null ? "gpt-default" : request.model();
            }

            @Override
            public java.util.Optional<ModelHealth> health() {
                return java.util.Optional.of(down);
            }
        };
        MeteredChatModel model = new MeteredChatModel(remote, "gpt-default", meters);

        assertThat(model.provider()).isEqualTo("openai");
        assertThat(model.modelName(request(null))).isEqualTo("gpt-default");
        assertThat(model.modelName(request("gpt-mini"))).isEqualTo("gpt-mini");
        assertThat(model.health()).contains(down);
    }

    @Test
    void next_recordsEachCallsLatency_andTheTokensItReports_byModel() throws Exception {
        ChatModel answering = (request, stream) -> new ModelReply.Answer(null, "hello", new TokenUsage(12, 5));
        MeteredChatModel model = new MeteredChatModel(answering, "gpt-default", meters);

        assertThat(model.next(request(null), TextStream.IGNORE)).isInstanceOf(ModelReply.Answer.class);
        model.next(request(null), TextStream.IGNORE);
        model.next(request("small"), TextStream.IGNORE);

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
    void next_withoutUsage_countsNoTokens_butTheDefaultModelsMetersExistFromTheStart() throws Exception {
        MeteredChatModel model = new MeteredChatModel(new OfflineModel(), OfflineModel.NAME, meters);
        assertThat(calls(OfflineModel.NAME, "ok")).isZero();

        model.next(request(null), TextStream.IGNORE);

        assertThat(calls(OfflineModel.NAME, "ok")).isEqualTo(1);
        assertThat(tokens(OfflineModel.NAME, "input")).isZero();
        assertThat(tokens(OfflineModel.NAME, "output")).isZero();
    }

    @Test
    void next_failingOrInterrupted_isRecordedAsErrorOrCancelled_andRethrown() {
        ChatModel failing = (request, stream) -> {
            throw new ModelException("llm_unavailable", "the endpoint answered 503");
        };
        ChatModel interrupted = (request, stream) -> {
            throw new InterruptedException();
        };

        assertThatThrownBy(() -> new MeteredChatModel(failing, "gpt", meters).next(request(null), TextStream.IGNORE))
                .isInstanceOf(ModelException.class);
        assertThatThrownBy(() -> new MeteredChatModel(interrupted, "gpt", meters).next(request(null), TextStream.IGNORE))
                .isInstanceOf(InterruptedException.class);

        assertThat(calls("gpt", "error")).isEqualTo(1);
        assertThat(calls("gpt", "cancelled")).isEqualTo(1);
        assertThat(calls("gpt", "ok")).isZero();
    }
}
