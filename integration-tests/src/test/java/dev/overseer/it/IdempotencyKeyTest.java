package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code Idempotency-Key} on {@code POST /api/threads/{id}/runs}: a retry answers what the first request got. */
class IdempotencyKeyTest {
    private static TestServer server;
    private static Http alice;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        alice = new Http(server, server.token("idem-alice"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void retry_sameKeyAndBody_answersTheSameStatusAndBody_andStartsNothing() {
        String thread = alice.createThread();
        Http.Response first = startKeyed(alice, thread, "retry-1", "{\"content\":\"What is 6*7?\"}", "");
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String run = first.json().path("id").asText();
        awaitFinished(alice, run);
        assertThat(messages(alice, thread)).hasSize(2);

        // The run has finished since, but the retry answers exactly what the first request got.
        Http.Response retry = startKeyed(alice, thread, "retry-1", "{\"content\":\"What is 6*7?\"}", "");
        assertThat(retry.status()).isEqualTo(202);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(retry.header("Content-Type")).isEqualTo(first.header("Content-Type"));
        assertThat(messages(alice, thread)).hasSize(2);
        assertThat(alice.get("/api/runs/" + run).json().path("status").asText()).isEqualTo("completed");
    }

    @Test
    void retry_ofAWaitedStart_answers200WithTheSameFinishedRun() {
        String thread = alice.createThread();
        String body = "{\"content\":\"What is 2+3?\",\"agent\":\"supervisor\"}";
        Http.Response first = startKeyed(alice, thread, "waited-1", body, "?wait=true");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().path("output").asText()).contains("5");

        Http.Response retry = startKeyed(alice, thread, "waited-1", body, "?wait=true");
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        assertThat(messages(alice, thread)).hasSize(2);
    }

    @Test
    void concurrentDuplicates_sameKey_createExactlyOneRun_andEveryAnswerNamesIt() throws Exception {
        int requests = 10;
        String thread = alice.createThread();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Http.Response>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(requests)) {
            for (int i = 0; i < requests; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return startKeyed(alice, thread, "race-1", "{\"content\":\"What is 6*7?\"}", "");
                }));
            }
            go.countDown();
            Set<String> runs = new HashSet<>();
            List<String> bodies = new ArrayList<>();
            for (Future<Http.Response> answer : answers) {
                Http.Response response = answer.get(30, TimeUnit.SECONDS);
                assertThat(response.status()).as("answer %s", response.body()).isEqualTo(202);
                runs.add(response.json().path("id").asText());
                bodies.add(response.body());
            }
            assertThat(runs).hasSize(1);
            assertThat(new HashSet<>(bodies)).as("every answer is the first one's").hasSize(1);
            String run = runs.iterator().next();
            awaitFinished(alice, run);
        }
        JsonNode messages = messages(alice, thread);
        assertThat(messages).extracting(message -> message.path("role").asText()).containsExactly("user", "assistant");
    }

    @Test
    void sameKey_differentBodyOrThread_isUnprocessable_andStartsNothing() {
        String thread = alice.createThread();
        Http.Response first = startKeyed(alice, thread, "reuse-1", "{\"content\":\"What is 6*7?\"}", "?wait=true");
        assertThat(first.status()).isEqualTo(200);

        JsonNode problem = Problems.assertProblem(
                startKeyed(alice, thread, "reuse-1", "{\"content\":\"What is 7*8?\"}", "?wait=true"), 422,
                "idempotency_key_reused");
        assertThat(problem.path("detail").asText()).contains("Idempotency-Key");
        Problems.assertProblem(startKeyed(alice, thread, "reuse-1",
                "{\"content\":\"What is 6*7?\",\"agent\":\"nobody\"}", ""), 400, "invalid_request");
        String otherThread = alice.createThread();
        Problems.assertProblem(startKeyed(alice, otherThread, "reuse-1", "{\"content\":\"What is 6*7?\"}", ""), 422,
                "idempotency_key_reused");

        assertThat(messages(alice, thread)).hasSize(2);
        assertThat(messages(alice, otherThread)).isEmpty();
    }

    @Test
    void sameKey_fromAnotherUser_startsTheirOwnRun() {
        Http bob = new Http(server, server.token("idem-bob"));
        String alicesThread = alice.createThread();
        String bobsThread = bob.createThread();
        Http.Response alices = startKeyed(alice, alicesThread, "shared-key", "{\"content\":\"hello\"}", "?wait=true");
        Http.Response bobs = startKeyed(bob, bobsThread, "shared-key", "{\"content\":\"hello\"}", "?wait=true");

        assertThat(alices.status()).isEqualTo(200);
        assertThat(bobs.status()).isEqualTo(200);
        assertThat(bobs.json().path("id").asText()).isNotEqualTo(alices.json().path("id").asText());
        assertThat(bobs.json().path("thread_id").asText()).isEqualTo(bobsThread);
        assertThat(messages(bob, bobsThread)).hasSize(2);
        Problems.assertProblem(bob.get("/api/runs/" + alices.json().path("id").asText()), 404, "not_found");
    }

    @Test
    void key_longerThan200CharactersOrBlank_isBadRequest_andStartsNothing() {
        String thread = alice.createThread();
        JsonNode problem = Problems.assertProblem(
                startKeyed(alice, thread, "k".repeat(201), "{\"content\":\"hello\"}", ""), 400, "invalid_request");
        assertThat(problem.path("detail").asText()).contains("Idempotency-Key");
        Problems.assertProblem(startKeyed(alice, thread, " ", "{\"content\":\"hello\"}", ""), 400, "invalid_request");
        assertThat(messages(alice, thread)).isEmpty();

        Http.Response longest = startKeyed(alice, thread, "k".repeat(200), "{\"content\":\"hello\"}", "?wait=true");
        assertThat(longest.status()).isEqualTo(200);
    }

    @Test
    void rejectedFirstRequest_doesNotUseUpTheKey() {
        String thread = alice.createThread();
        Problems.assertProblem(startKeyed(alice, thread, "after-error", "{\"content\":42}", ""), 400, "invalid_request");
        Http.Response accepted = startKeyed(alice, thread, "after-error", "{\"content\":\"hello\"}", "?wait=true");
        assertThat(accepted.status()).isEqualTo(200);
        assertThat(messages(alice, thread)).hasSize(2);
    }

    private static Http.Response startKeyed(Http http, String thread, String key, String body, String query) {
        return http.send(http.builder("/api/threads/" + thread + "/runs" + query)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static JsonNode messages(Http http, String thread) {
        Http.Response messages = http.get("/api/threads/" + thread + "/messages?limit=100");
        assertThat(messages.status()).isEqualTo(200);
        return messages.json().path("data");
    }

    private static void awaitFinished(Http http, String run) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> !http.get("/api/runs/" + run).json().path("finished_at").isNull());
    }
}
