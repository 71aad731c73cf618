package dev.overseer.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The server's own meters (runs, events, errors); the transports add theirs to the same registry. */
@Singleton
public final class OverseerMetrics {
    /** The origins and final statuses every node publishes from the start, so that rates and ratios exist at 0. */
    private static final List<String> ORIGINS = List.of("http", "websocket");
    private static final List<String> FINAL_STATUSES = List.of("completed", "failed", "cancelled");

    private final MeterRegistry registry;
    private final Counter eventsEmitted;
    /** The meters of each transport, and of each final status: looked up once, not at every run. */
    private final Map<String, Counter> started = new ConcurrentHashMap<>();
    private final Map<Outcome, Finished> finished = new ConcurrentHashMap<>();
    private final Map<Outcome, Counter> errors = new ConcurrentHashMap<>();

    /** A pair of tag values: origin and status of a run, or transport and code of an error. */
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
        for (String origin : ORIGINS) {
            started(origin);
            for (String status : FINAL_STATUSES) {
                finished(new Outcome(origin, status));
            }
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void runStarted(String origin) {
        started(origin).increment();
    }

    public void runFinished(String origin, String status, Duration duration) {
        Finished meters = finished(new Outcome(origin, status));
        meters.runs().increment();
        meters.duration().record(duration);
    }

    public void eventEmitted() {
        eventsEmitted.increment();
    }

    /** An error answered to a client, by transport and stable error code. */
    public void error(String transport, String code) {
        errors.computeIfAbsent(new Outcome(transport, code), error -> Counter.builder("overseer.errors")
                .description("Errors answered to clients, by code")
                .tag("transport", error.origin()).tag("code", error.status())
                .register(registry)).increment();
    }

    private Counter started(String origin) {
        return started.computeIfAbsent(origin, transport -> Counter.builder("overseer.runs.started")
                .description("Runs started, by the transport that started them")
                .tag("transport", transport).register(registry));
    }

    private Finished finished(Outcome outcome) {
        return finished.computeIfAbsent(outcome, key -> new Finished(
                Counter.builder("overseer.runs.finished").description("Runs finished, by final status")
                        .tag("transport", key.origin()).tag("status", key.status())
                        .register(registry),
                Timer.builder("overseer.run.duration").description("Run duration, admission to terminal event")
                        .tag("transport", key.origin()).tag("status", key.status())
                        .serviceLevelObjectives(Buckets.slow())
                        .register(registry)));
    }
}
