package dev.overseer.core.llm;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * An OpenAI-compatible Chat Completions endpoint and how to talk to it: the base URL (…/v1), the API key
 * (sent as a bearer token, never logged; null for none), the default model, the connect timeout, the
 * longest silence allowed before the first token and between chunks, and bounded retries.
 */
public record LlmSettings(URI baseUrl, String apiKey, String model, Duration connectTimeout, Duration streamTimeout,
        int maxAttempts, Duration maxBackoff) {
    public LlmSettings {
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(model, "model");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** The chat completions URL under the base URL. */
    public URI completionsUrl() {
        String base = baseUrl.toString();
        return URI.create((base.endsWith("/") ? base : base + "/") + "chat/completions");
    }

    @Override
    public String toString() {
        return "LlmSettings[" + baseUrl + ", model=" + model + ", apiKey=" + (apiKey == null ? "none" : "set") + "]";
    }
}
