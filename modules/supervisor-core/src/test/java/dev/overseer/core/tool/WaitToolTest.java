package dev.overseer.core.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.UserId;
import dev.overseer.core.json.Json;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WaitToolTest {
    private static final ToolContext CONTEXT = new ToolContext(new UserId("alice"), (progress, total, message) -> {
    });

    private final WaitTool wait = new WaitTool();

    @Test
    void call_zeroSeconds_returnsAtOnce() throws Exception {
        long started = System.nanoTime();

        JsonNode result = wait.call(Json.object().put("seconds", 0), CONTEXT);

        assertThat(Json.write(result)).isEqualTo("{\"waited_seconds\":0}");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"61", "3600", "-1", "1.5", "5.0", "\"5\"", "null", "true", "10000000000", "[5]"})
    void call_outOfRangeOrNotAWholeNumber_isRejected(String seconds) {
        JsonNode arguments = Json.readTrusted("{\"seconds\":" + seconds + "}");

        assertThatThrownBy(() -> wait.call(arguments, CONTEXT))
                .isInstanceOf(ToolException.class)
                .hasMessage("'seconds' must be a whole number from 0 to 60");
    }

    @Test
    void call_missingSeconds_isRejected() {
        assertThatThrownBy(() -> wait.call(Json.object(), CONTEXT))
                .isInstanceOf(ToolException.class)
                .hasMessage("'seconds' must be a whole number from 0 to 60");
    }

    @Test
    void call_interruptedDuringWait_throwsInterruptedPromptly() throws Exception {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().name("wait-tool-test").start(() -> {
            try {
                wait.call(Json.object().put("seconds", 5), CONTEXT);
                outcome.complete(null);
            } catch (Throwable e) {
                outcome.complete(e);
            }
        });
        await().atMost(Duration.ofSeconds(2)).until(() -> waiter.getState() == Thread.State.TIMED_WAITING);

        long interruptedAt = System.nanoTime();
        waiter.interrupt();
        Throwable thrown = outcome.get(2, TimeUnit.SECONDS);

        assertThat(thrown).isInstanceOf(InterruptedException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - interruptedAt)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void call_alreadyInterruptedThread_doesNotWait() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> wait.call(Json.object().put("seconds", 60), CONTEXT))
                    .isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void schema_limitsSecondsToAMinute() {
        assertThat(wait.name()).isEqualTo("wait");
        JsonNode seconds = wait.parametersSchema().path("properties").path("seconds");
        assertThat(seconds.path("type").asText()).isEqualTo("integer");
        assertThat(seconds.path("minimum").asInt()).isZero();
        assertThat(seconds.path("maximum").asInt()).isEqualTo(60);
    }
}
