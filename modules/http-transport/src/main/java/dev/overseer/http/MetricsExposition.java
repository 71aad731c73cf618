package dev.overseer.http;

/** The current value of every meter in a text exposition format (Prometheus), for {@code GET /metrics}. */
public interface MetricsExposition {
    String contentType();

    String scrape();
}
