package dev.overseer.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The server's own meters (runs, events, errors); the transports add theirs to the same registry. */
@Singleton
public final class OverseerMetrics {
    private final MeterRegistry registry;
    private final Counter eventsEmitted;
    /** The meters of each transport, and of each final status: looked up once, not at every run. */
    private final Map<String, Counter> started = new ConcurrentHashMap<>();
    private final Map<Outcome, Finished> finished = new ConcurrentHashMap<>();

    private record Outcome(String origin, String status) {
    }

    private record Finished(Counter runs, Timer duration) {
    }

    @Inject
    public OverseerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.eventsEmitted = Counter.builder("overseer.events.emitted")
                .description("Run events emitted (each is sent to every client following the run)")
                .register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void runStarted(String origin) {
        started.computeIfAbsent(origin, transport -> Counter.builder("overseer.runs.started")
                .description("Runs started").tag("transport", transport).register(registry)).increment();
    }

    public void runFinished(String origin, String status, Duration duration) {
        Finished meters = finished.computeIfAbsent(new Outcome(origin, status), outcome -> new Finished(
                Counter.builder("overseer.runs.finished").description("Runs finished, by final status")
                        .tag("transport", outcome.origin()).tag("status", outcome.status())
                        .register(registry),
                Timer.builder("overseer.run.duration").description("Run duration, admission to terminal event")
                        .tag("transport", outcome.origin()).tag("status", outcome.status())
                        .register(registry)));
        meters.runs().increment();
        meters.duration().record(duration);
    }

    public void eventEmitted() {
        eventsEmitted.increment();
    }

    /** An error answered to a client, by transport and stable error code. */
    public void error(String transport, String code) {
        Counter.builder("overseer.errors").description("Errors answered to clients, by code")
                .tag("transport", transport).tag("code", code)
                .register(registry).increment();
    }
}
