package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /api/runs/{id}/cancel}: stops an active run promptly; a finished run is 409, another user's 404. */
class CancelRunTest {
    private static TestServer server;
    private static Http http;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        http = new Http(server, server.token("cancel-alice"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void cancel_activeRun_answers202WithTheRun_andTheRunEndsCancelledPromptly() {
        String thread = http.createThread();
        String run = startWaiting(thread);

        Instant cancelled = Instant.now();
        Http.Response answer = http.post("/api/runs/" + run + "/cancel", "");
        assertThat(answer.status()).as(answer.body()).isEqualTo(202);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertThat(answer.json().path("id").asText()).isEqualTo(run);
        assertThat(answer.json().path("thread_id").asText()).isEqualTo(thread);

        JsonNode stopped = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + run).json(), node -> node.path("status").asText().equals("cancelled"));
        assertThat(Duration.between(cancelled, Instant.now())).isLessThan(Duration.ofSeconds(5));
        assertThat(stopped.path("finished_at").isTextual()).isTrue();
        assertThat(stopped.path("error").isNull()).isTrue();

        JsonNode events = http.get("/api/runs/" + run + "/events").json().path("data");
        assertThat(events.get(events.size() - 1).path("type").asText()).isEqualTo("run_cancelled");
        assertThat(events.get(events.size() - 1).path("payload")).isEmpty();
        assertThat(events).extracting(event -> event.path("type").asText()).doesNotContain("tool_completed");

        // The thread is free again.
        Http.Response next = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.json().path("output").asText()).contains("42");
    }

    @Test
    void cancel_finishedRun_isRunNotActiveProblem() {
        String thread = http.createThread();
        Http.Response finished = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"hello\"}");
        assertThat(finished.status()).isEqualTo(200);
        String run = finished.json().path("id").asText();

        Problems.assertProblem(http.post("/api/runs/" + run + "/cancel", ""), 409, "run_not_active");
        assertThat(http.get("/api/runs/" + run).json().path("status").asText()).isEqualTo("completed");
    }

    @Test
    void cancel_runOfAnotherUserOrNoRun_isNotFound_andTheRunGoesOn() {
        String thread = http.createThread();
        String run = startWaiting(thread);
        Http intruder = new Http(server, server.token("cancel-mallory"));

        JsonNode foreign = Problems.assertProblem(intruder.post("/api/runs/" + run + "/cancel", ""), 404, "not_found");
        JsonNode missing = Problems.assertProblem(
                intruder.post("/api/runs/run_00000000000000000000000000/cancel", ""), 404, "not_found");
        assertThat(foreign.path("detail")).isEqualTo(missing.path("detail"));
        Problems.assertProblem(http.post("/api/runs/not-a-run-id/cancel", ""), 404, "not_found");

        JsonNode stillGoing = http.get("/api/runs/" + run).json();
        assertThat(stillGoing.path("status").asText()).isIn("queued", "running");
        assertThat(http.post("/api/runs/" + run + "/cancel", "").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + run).json().path("status").asText(), "cancelled"::equals);
    }

    /** Starts "wait 30 seconds" and returns once its tool is executing. */
    private static String startWaiting(String thread) {
        Http.Response started = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"wait 30 seconds\"}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String run = started.json().path("id").asText();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> http.get("/api/runs/" + run + "/events").json().path("data").size() >= 3);
        return run;
    }
}
