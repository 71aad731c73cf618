package dev.overseer.core.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.model.ModelException;
import dev.overseer.core.model.ModelHealth;
import dev.overseer.core.model.TextStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one Chat Completions request: retries 429 and 5xx (and connections refused or timed out) with
 * exponential backoff and jitter, honouring {@code Retry-After}, all bounded; aborts the HTTP stream at once
 * when the run is stopped or the model falls silent for longer than the stream timeout (before its first
 * byte or between chunks), which is not retried.
 */
final class ChatCompletionsClient {
    private static final Logger LOG = LoggerFactory.getLogger(ChatCompletionsClient.class);
    private static final long WATCH_PERIOD_MILLIS = 25;
    private static final int MAX_ERROR_BODY = 16 * 1024;
    private static final Duration HEALTH_TTL = Duration.ofSeconds(10);
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private final LlmSettings settings;
    private final HttpClient http;
    private volatile ModelHealth health;
    private final ReentrantLock healthLock = new ReentrantLock();
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("overseer-llm-watchdog").daemon().factory());

    ChatCompletionsClient(LlmSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * The endpoint's state as {@code GET <base>/models} finds it, asked at most once per {@link #HEALTH_TTL} (a
     * readiness probe comes every few seconds; the endpoint need not hear of each).
     */
    ModelHealth health() {
        ModelHealth last = health;
        if (last != null && last.checkedAt().isAfter(Instant.now().minus(HEALTH_TTL))) {
            return last;
        }
        // A lock, not a monitor: the probe blocks on the network, and a virtual thread must not pin its carrier (JDK 21).
        healthLock.lock();
        try {
            if (health == last) {
                health = probe();
            }
            return health;
        } finally {
            healthLock.unlock();
        }
    }

    private ModelHealth probe() {
        String base = settings.baseUrl().toString();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create((base.endsWith("/") ? base : base + "/") + "models"))
                .timeout(HEALTH_TIMEOUT)
                .GET();
        if (settings.apiKey() != null) {
            request.header("Authorization", "Bearer " + settings.apiKey());
        }
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            String problem = errorOf(response.body());
            if (status / 100 == 2) {
                return new ModelHealth(ModelHealth.OK, "answered " + status, Instant.now());
            }
            // An endpoint that lists no models (some gateways) still answers: only auth and server errors count.
            if (status == 404 || status == 405) {
                return new ModelHealth(ModelHealth.OK, "reachable (GET /models answered " + status + ")", Instant.now());
            }
            return new ModelHealth(ModelHealth.ERROR, redact("answered " + status + (problem.isEmpty() ? "" : ": " + problem)),
                    Instant.now());
        } catch (IOException e) {
            return new ModelHealth(ModelHealth.UNREACHABLE, "cannot reach " + settings.baseUrl().getHost() + " ("
                    + e.getClass().getSimpleName() + ")", Instant.now());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ModelHealth(ModelHealth.UNREACHABLE, "the check was interrupted", Instant.now());
        }
    }

    /** The text with the API key masked: an endpoint may quote what it was sent in its error message. */
    String redact(String text) {
        String key = settings.apiKey();
        return key == null || key.isEmpty() ? text : text.replace(key, "***");
    }

    ChatTurn stream(ObjectNode body, TextStream run) throws ModelException, InterruptedException {
        try {
            return attempt(body, run);
        } catch (ModelException e) {
            // Once per failed call, after its retries: the provider's status and message, never the key.
            LOG.warn("model call to {} failed ({}): {}", settings.baseUrl().getHost(), e.code(), redact(e.getMessage()));
            throw e;
        }
    }

    private ChatTurn attempt(ObjectNode body, TextStream run) throws ModelException, InterruptedException {
        byte[] payload = Json.write(body).getBytes(StandardCharsets.UTF_8);
        String lastProblem = "no attempt was made";
        for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
            HttpResponse<InputStream> response;
            try {
                response = http.send(request(payload), HttpResponse.BodyHandlers.ofInputStream());
            } catch (HttpConnectTimeoutException e) {
                lastProblem = "could not connect to the model endpoint within "
                        + settings.connectTimeout().toSeconds() + " s";
                if (attempt == settings.maxAttempts()) {
                    throw new ModelException("llm_timeout", lastProblem);
                }
                backOff(attempt, null, run);
                continue;
            } catch (HttpTimeoutException e) {
                // The stream timeout bounds the silence before the first token too: waiting it out again would
                // multiply it by the attempts.
                throw new ModelException("llm_timeout",
                        "the model did not answer within " + settings.streamTimeout().toSeconds() + " s");
            } catch (IOException e) {
                lastProblem = "cannot reach the model endpoint (" + e.getClass().getSimpleName() + ")";
                if (attempt < settings.maxAttempts()) {
                    backOff(attempt, null, run);
                }
                continue;
            }
            int status = response.statusCode();
            if (status == 200) {
                return read(response.body(), run);
            }
            String problem = redact(errorOf(response.body()));
            lastProblem = "the model endpoint answered " + status + (problem.isEmpty() ? "" : ": " + problem);
            if (!retryable(status)) {
                throw new ModelException("llm_error", lastProblem);
            }
            LOG.warn("model endpoint answered {} (attempt {} of {})", status, attempt, settings.maxAttempts());
            if (attempt < settings.maxAttempts()) {
                backOff(attempt, response.headers().firstValue("retry-after").orElse(null), run);
            }
        }
        throw new ModelException("llm_unavailable", lastProblem + " after " + settings.maxAttempts() + " attempts");
    }

    private HttpRequest request(byte[] payload) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(settings.completionsUrl())
                .timeout(settings.streamTimeout())
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(payload));
        if (settings.apiKey() != null) {
            builder.header("Authorization", "Bearer " + settings.apiKey());
        }
        return builder.build();
    }

    /**
     * Reads the event stream. The JDK's response stream does not wake up on interruption, so a watchdog
     * closes it when the run is stopped or the model is silent too long; the blocked read then fails.
     */
    private ChatTurn read(InputStream body, TextStream run) throws ModelException, InterruptedException {
        StreamAssembler assembler = new StreamAssembler(run);
        AtomicLong lastData = new AtomicLong(System.nanoTime());
        AtomicBoolean silent = new AtomicBoolean();
        AtomicBoolean stopped = new AtomicBoolean();
        long silenceNanos = settings.streamTimeout().toNanos();
        ScheduledFuture<?> watch = watchdog.scheduleAtFixedRate(() -> {
            boolean stop = run.stopRequested();
            boolean quiet = System.nanoTime() - lastData.get() > silenceNanos;
            if (stop || quiet) {
                stopped.compareAndSet(false, stop);
                silent.compareAndSet(false, quiet && !stop);
                closeQuietly(body);
            }
        }, WATCH_PERIOD_MILLIS, WATCH_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lastData.set(System.nanoTime());
                assembler.line(line);
                if (assembler.done()) {
                    break;
                }
                if (run.stopRequested()) {
                    throw new InterruptedException();
                }
            }
            return assembler.turn();
        } catch (IOException e) {
            if (stopped.get() || run.stopRequested()) {
                throw new InterruptedException();
            }
            if (silent.get()) {
                throw new ModelException("llm_timeout",
                        "the model sent nothing for " + settings.streamTimeout().toSeconds() + " s");
            }
            throw new ModelException("llm_unavailable", "the model's stream broke (" + e.getMessage() + ")");
        } finally {
            watch.cancel(false);
            closeQuietly(body);
        }
    }

    /** Sleeps before the next attempt: exponential with jitter, or what Retry-After asks, never past the cap. */
    private void backOff(int attempt, String retryAfter, TextStream run) throws InterruptedException {
        long capMillis = settings.maxBackoff().toMillis();
        long millis = Math.min(capMillis, 250L << Math.min(attempt - 1, 16));
        millis = millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1);
        Long asked = retryAfterMillis(retryAfter);
        if (asked != null) {
            millis = Math.min(capMillis, Math.max(asked, 0));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (run.stopRequested()) {
                throw new InterruptedException();
            }
            Thread.sleep(Math.min(WATCH_PERIOD_MILLIS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    static Long retryAfterMillis(String retryAfter) {
        if (retryAfter == null || retryAfter.isBlank()) {
            return null;
        }
        try {
            return (long) (Double.parseDouble(retryAfter.trim()) * 1_000);
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(retryAfter.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis();
            } catch (RuntimeException unparsable) {
                return null;
            }
        }
    }

    private static boolean retryable(int status) {
        return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
    }

    private static String errorOf(InputStream body) {
        try (InputStream in = body) {
            String text = new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                return "";
            }
            try {
                JsonNode json = Json.mapper().readTree(text);
                if (json != null && json.has("error")) {
                    return StreamAssembler.errorMessage(json.get("error"));
                }
            } catch (IOException notJson) {
                // fall through to the raw text
            }
            return text.length() > 300 ? text.substring(0, 300) + "…" : text;
        } catch (IOException e) {
            return "";
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // already broken
        }
    }

    void close() {
        watchdog.shutdownNow();
        http.close();
    }
}
