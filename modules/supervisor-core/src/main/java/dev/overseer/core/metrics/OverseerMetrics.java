package dev.overseer.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;

/** The server's own meters (runs, events, errors); the transports add theirs to the same registry. */
@Singleton
public final class OverseerMetrics {
    private final MeterRegistry registry;
    private final Counter eventsEmitted;

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
        Counter.builder("overseer.runs.started").description("Runs started").tag("transport", origin)
                .register(registry).increment();
    }

    public void runFinished(String origin, String status, Duration duration) {
        Counter.builder("overseer.runs.finished").description("Runs finished, by final status")
                .tag("transport", origin).tag("status", status)
                .register(registry).increment();
        Timer.builder("overseer.run.duration").description("Run duration, admission to terminal event")
                .tag("transport", origin).tag("status", status)
                .register(registry).record(duration);
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
