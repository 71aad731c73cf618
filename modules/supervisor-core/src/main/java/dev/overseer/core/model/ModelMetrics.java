package dev.overseer.core.model;

import dev.overseer.core.metrics.Buckets;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each model call's latency by model and outcome ({@code overseer_model_call_duration_seconds}) and the tokens it
 * reports by model and type ({@code overseer_model_tokens_total}), recorded where a run makes the call (the
 * supervisor, which traces it too). Model names come from the configuration (the default model and the agents'
 * own), so the series are bounded.
 */
public final class ModelMetrics {
    /** How a model call ended. */
    public enum Outcome {
        OK, ERROR, CANCELLED
    }

    private final MeterRegistry registry;
    private final Map<String, Meters> byModel = new ConcurrentHashMap<>();

    private record Meters(Timer ok, Timer error, Timer cancelled, Counter input, Counter output) {
    }

    /** {@code defaultModel}: the model a request without one of its own goes to; its meters exist from the start. */
    public ModelMetrics(MeterRegistry registry, String defaultModel) {
        this.registry = registry;
        meters(defaultModel);
    }

    /** A call to {@code model} that took {@code nanos} and ended so; {@code usage} is what it reported, if anything. */
    public void call(String model, Outcome outcome, long nanos, TokenUsage usage) {
        Meters meters = meters(model);
        Timer timer = switch (outcome) {
            case OK -> meters.ok();
            case ERROR -> meters.error();
            case CANCELLED -> meters.cancelled();
        };
        timer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (usage != null) {
            meters.input().increment(usage.promptTokens());
            meters.output().increment(usage.completionTokens());
        }
    }

    private Meters meters(String name) {
        return byModel.computeIfAbsent(name, key -> new Meters(timer(key, "ok"), timer(key, "error"),
                timer(key, "cancelled"), tokens(key, "input"), tokens(key, "output")));
    }

    private Timer timer(String name, String outcome) {
        return Timer.builder("overseer.model.call.duration")
                .description("Model calls (one step of an agent), by model and outcome: ok, error, cancelled")
                .tag("model", name)
                .tag("outcome", outcome)
                .serviceLevelObjectives(Buckets.slow())
                .register(registry);
    }

    private Counter tokens(String name, String type) {
        return Counter.builder("overseer.model.tokens")
                .description("Tokens the model reported using, by model and type: input (prompt), output (completion)")
                .tag("model", name)
                .tag("type", type)
                .register(registry);
    }
}
