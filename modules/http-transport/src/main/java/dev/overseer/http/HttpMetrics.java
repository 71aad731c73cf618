package dev.overseer.http;

import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.concurrent.TimeUnit;

/** The HTTP transport's meters: request duration by method, route and status, and problems by code. */
@Singleton
public final class HttpMetrics {
    private final OverseerMetrics metrics;

    @Inject
    public HttpMetrics(OverseerMetrics metrics) {
        this.metrics = metrics;
    }

    void request(String method, String route, int status, long micros) {
        Timer.builder("overseer.http.request.duration")
                .description("HTTP request duration, by method, route template and status")
                .tag("method", method)
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(metrics.registry())
                .record(micros, TimeUnit.MICROSECONDS);
    }

    void problem(String code) {
        metrics.error("http", code);
    }
}
