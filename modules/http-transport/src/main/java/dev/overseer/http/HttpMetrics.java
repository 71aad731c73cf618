package dev.overseer.http;

import dev.overseer.core.metrics.Buckets;
import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** The HTTP transport's meters: request duration by method, route and status, and problems by code. */
@Singleton
public final class HttpMetrics {
    private final OverseerMetrics metrics;
    /** Registered at a series' first request; a request only looks its timer up. */
    private final Map<Series, Timer> timers = new ConcurrentHashMap<>();

    private record Series(String method, String route, int status) {
    }

    @Inject
    public HttpMetrics(OverseerMetrics metrics) {
        this.metrics = metrics;
    }

    void request(String method, String route, int status, long micros) {
        timers.computeIfAbsent(new Series(method, route, status), series -> Timer.builder("overseer.http.request.duration")
                        .description("HTTP request duration, by method, route template and status")
                        .tag("method", series.method())
                        .tag("route", series.route())
                        .tag("status", Integer.toString(series.status()))
                        .serviceLevelObjectives(Buckets.fast())
                        .register(metrics.registry()))
                .record(micros, TimeUnit.MICROSECONDS);
    }

    void problem(String code) {
        metrics.error("http", code);
    }
}
