package dev.overseer.core.model;

import dev.overseer.core.metrics.Buckets;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The configured model, with each call's latency by model and outcome ({@code overseer_model_call_duration_seconds})
 * and the tokens it reports by model and type ({@code overseer_model_tokens_total}). Model names come from the
 * configuration (the default model and the agents' own), so the series are bounded.
 */
public final class MeteredChatModel implements ChatModel, AutoCloseable {
    private final ChatModel model;
    private final String defaultName;
    private final MeterRegistry registry;
    private final Map<String, Meters> byModel = new ConcurrentHashMap<>();

    private record Meters(Timer ok, Timer error, Timer cancelled, Counter input, Counter output) {
    }

    /** {@code defaultName}: the model a request without one of its own goes to. */
    public MeteredChatModel(ChatModel model, String defaultName, MeterRegistry registry) {
        this.model = model;
        this.defaultName = defaultName;
        this.registry = registry;
        meters(defaultName);
    }

    @Override
    public ModelReply next(ModelRequest request, TextStream stream) throws ModelException, InterruptedException {
        Meters meters = meters(request.model() == null ? defaultName : request.model());
        long started = System.nanoTime();
        Timer outcome = meters.error();
        try {
            ModelReply reply = model.next(request, stream);
            outcome = meters.ok();
            TokenUsage usage = reply.usage();
            if (usage != null) {
                meters.input().increment(usage.promptTokens());
                meters.output().increment(usage.completionTokens());
            }
            return reply;
        } catch (InterruptedException e) {
            outcome = meters.cancelled();
            throw e;
        } finally {
            outcome.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public boolean usesHistory() {
        return model.usesHistory();
    }

    @Override
    public String provider() {
        return model.provider();
    }

    @Override
    public String modelName(ModelRequest request) {
        return model.modelName(request);
    }

    @Override
    public java.util.Optional<ModelHealth> health() {
        return model.health();
    }

    @Override
    public void close() throws Exception {
        if (model instanceof AutoCloseable closeable) {
            closeable.close();
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
