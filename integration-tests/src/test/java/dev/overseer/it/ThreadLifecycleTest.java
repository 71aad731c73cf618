package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Threads over HTTP: PATCH, DELETE (with everything in them), and cursor pages that stay right under inserts. */
class ThreadLifecycleTest {
    private static TestServer server;
    private static Http http;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        http = new Http(server, server.token("threads-alice"));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void patch_title_setsIt_keepsMetadata_andTouchesTheThread() {
        JsonNode created = http.post("/api/threads", "{\"title\":\"draft\",\"metadata\":{\"team\":\"blue\",\"n\":1}}").json();
        String thread = created.path("id").asText();

        Http.Response patched = http.patch("/api/threads/" + thread, "{\"title\":\"final\"}");
        assertThat(patched.status()).isEqualTo(200);
        JsonNode body = patched.json();
        assertThat(body.path("id").asText()).isEqualTo(thread);
        assertThat(body.path("title").asText()).isEqualTo("final");
        assertThat(body.path("metadata")).isEqualTo(created.path("metadata"));
        assertThat(body.path("created_at")).isEqualTo(created.path("created_at"));
        assertThat(Instant.parse(body.path("updated_at").asText()))
                .isAfterOrEqualTo(Instant.parse(created.path("updated_at").asText()));
        assertThat(http.get("/api/threads/" + thread).json()).isEqualTo(body);
    }

    @Test
    void patch_titleNull_removesIt_emptyBodyChangesNothing() {
        String thread = http.post("/api/threads", "{\"title\":\"temporary\",\"metadata\":{\"a\":1}}").json().path("id").asText();

        JsonNode untitled = http.patch("/api/threads/" + thread, "{\"title\":null}").json();
        assertThat(untitled.path("title").isNull()).isTrue();
        assertThat(untitled.path("metadata").path("a").asInt()).isEqualTo(1);

        JsonNode same = http.patch("/api/threads/" + thread, "{}").json();
        assertThat(same.path("title").isNull()).isTrue();
        assertThat(same.path("metadata")).isEqualTo(untitled.path("metadata"));
    }

    @Test
    void patch_metadata_replacesTheWholeObject() {
        String thread = http.post("/api/threads", "{\"title\":\"t\",\"metadata\":{\"old\":true,\"keep\":\"no\"}}").json()
                .path("id").asText();

        JsonNode patched = http.patch("/api/threads/" + thread, "{\"metadata\":{\"new\":[1,2],\"nested\":{\"x\":null}}}").json();
        assertThat(patched.path("metadata").toString()).isEqualTo("{\"new\":[1,2],\"nested\":{\"x\":null}}");
        assertThat(patched.path("title").asText()).isEqualTo("t");
        assertThat(http.get("/api/threads/" + thread).json().path("metadata")).isEqualTo(patched.path("metadata"));

        JsonNode cleared = http.patch("/api/threads/" + thread, "{\"metadata\":{}}").json();
        assertThat(cleared.path("metadata")).isEmpty();
    }

    @Test
    void patch_invalidBodies_areBadRequests_andChangeNothing() {
        JsonNode created = http.post("/api/threads", "{\"title\":\"stable\",\"metadata\":{\"k\":\"v\"}}").json();
        String thread = created.path("id").asText();

        assertBadRequest(http.patch("/api/threads/" + thread, "{\"title\":\"x\",\"color\":\"red\"}"), "unknown field 'color'");
        assertBadRequest(http.patch("/api/threads/" + thread, "{\"metadata\":[1]}"), "'metadata' must be a JSON object");
        assertBadRequest(http.patch("/api/threads/" + thread, "{\"metadata\":\"k=v\"}"), "'metadata' must be a JSON object");
        assertBadRequest(http.patch("/api/threads/" + thread, "{\"metadata\":null}"), "'metadata' must be a JSON object");
        assertBadRequest(http.patch("/api/threads/" + thread, "{\"title\":7}"), "'title' must be a string");

        assertThat(http.get("/api/threads/" + thread).json()).isEqualTo(created);
    }

    @Test
    void patch_anotherUsersThread_isNotFound_andChangesNothing() {
        JsonNode created = http.post("/api/threads", "{\"title\":\"mine\"}").json();
        String thread = created.path("id").asText();
        Http intruder = new Http(server, server.token("threads-mallory"));

        Problems.assertProblem(intruder.patch("/api/threads/" + thread, "{\"title\":\"theirs\"}"), 404, "not_found");
        Problems.assertProblem(intruder.patch("/api/threads/thr_00000000000000000000000000", "{\"title\":\"x\"}"), 404,
                "not_found");
        assertThat(http.get("/api/threads/" + thread).json()).isEqualTo(created);
    }

    @Test
    void delete_thread_answers204_thenTheThreadItsMessagesAndItsRunsAreGone() {
        String thread = http.createThread();
        Http.Response finished = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}");
        String run = finished.json().path("id").asText();
        assertThat(http.get("/api/threads/" + thread + "/messages").json().path("data")).hasSize(2);

        Http.Response deleted = http.delete("/api/threads/" + thread);
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();

        Problems.assertProblem(http.get("/api/threads/" + thread), 404, "not_found");
        Problems.assertProblem(http.get("/api/threads/" + thread + "/messages"), 404, "not_found");
        Problems.assertProblem(http.get("/api/runs/" + run), 404, "not_found");
        Problems.assertProblem(http.get("/api/runs/" + run + "/events"), 404, "not_found");
        Problems.assertProblem(http.post("/api/runs/" + run + "/cancel", ""), 404, "not_found");
        Problems.assertProblem(http.post("/api/threads/" + thread + "/runs", "{\"content\":\"hi\"}"), 404, "not_found");
        Problems.assertProblem(http.delete("/api/threads/" + thread), 404, "not_found");
        assertThat(listAll("/api/threads", 100)).extracting(t -> t.path("id").asText()).doesNotContain(thread);
    }

    @Test
    void delete_anotherUsersThread_isNotFound() {
        String thread = http.createThread();
        Http intruder = new Http(server, server.token("threads-mallory"));
        Problems.assertProblem(intruder.delete("/api/threads/" + thread), 404, "not_found");
        assertThat(http.get("/api/threads/" + thread).status()).isEqualTo(200);
    }

    @Test
    void delete_whileARunIsActive_isThreadBusy_andWorksOnceTheRunIsCancelled() {
        String thread = http.createThread();
        String run = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"wait 30 seconds\"}").json()
                .path("id").asText();

        Problems.assertProblem(http.delete("/api/threads/" + thread), 409, "thread_busy");
        assertThat(http.get("/api/threads/" + thread).status()).isEqualTo(200);
        assertThat(http.get("/api/runs/" + run).json().path("finished_at").isNull()).isTrue();

        assertThat(http.post("/api/runs/" + run + "/cancel", "").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> http.get("/api/runs/" + run).json().path("status").asText(), "cancelled"::equals);
        assertThat(http.delete("/api/threads/" + thread).status()).isEqualTo(204);
        Problems.assertProblem(http.get("/api/runs/" + run), 404, "not_found");
    }

    @Test
    void renamesAndDeletes_racingListingsOfTheSameThreads_allSucceed() throws Exception {
        // Each thread is renamed and deleted while the user's listing is being read through the same index.
        Http racer = new Http(server, server.token("threads-racer"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            ids.add(racer.createThread());
        }
        var readers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<java.util.concurrent.Future<?>> reading = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            reading.add(readers.submit(() -> {
                while (!stop.get()) {
                    assertThat(racer.get("/api/threads?limit=5").status()).isEqualTo(200);
                }
            }));
        }
        List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
        try (var deleters = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (String id : ids) {
                deleters.submit(() -> {
                    racer.patch("/api/threads/" + id, "{\"title\": \"renamed\"}");
                    statuses.add(racer.delete("/api/threads/" + id).status());
                });
            }
        } finally {
            stop.set(true);
            for (var future : reading) {
                future.get();
            }
            readers.close();
        }
        assertThat(statuses).hasSize(ids.size()).containsOnly(204);
        assertThat(racer.get("/api/threads?limit=100").json().path("data")).isEmpty();
    }

    @Test
    void threadPages_whileNewThreadsAreCreatedBetweenFetches_haveNoDuplicatesAndSkipNothing() {
        Http pager = new Http(server, server.token("threads-pager"));
        Set<String> before = new LinkedHashSet<>();
        for (int i = 0; i < 11; i++) {
            before.add(pager.post("/api/threads", "{\"title\":\"t" + i + "\"}").json().path("id").asText());
        }

        List<String> seen = new ArrayList<>();
        List<JsonNode> listed = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Http.Response page = pager.get("/api/threads?limit=3" + (cursor == null ? "" : "&cursor=" + encode(cursor)));
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            page.json().path("data").forEach(thread -> {
                seen.add(thread.path("id").asText());
                listed.add(thread);
            });
            cursor = page.json().path("next_cursor").isNull() ? null : page.json().path("next_cursor").asText();
            // Someone else creates threads between our page fetches.
            pager.createThread();
            pager.createThread();
            pages++;
        } while (cursor != null && pages < 20);

        assertThat(seen).doesNotHaveDuplicates();
        assertThat(seen).containsAll(before);
        // Most recently updated first (ties broken by id, newest first), across page boundaries.
        assertThat(listed).isSortedAccordingTo(Comparator
                .comparing((JsonNode thread) -> Instant.parse(thread.path("updated_at").asText()))
                .thenComparing(thread -> thread.path("id").asText())
                .reversed());
    }

    @Test
    void messagePages_whileRunsAddMessagesBetweenFetches_haveNoDuplicatesAndSkipNothing() {
        String thread = http.createThread();
        for (int i = 1; i <= 6; i++) {
            assertThat(http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"message " + i + "\"}")
                    .status()).isEqualTo(200);
        }
        List<JsonNode> before = listAll("/api/threads/" + thread + "/messages", 100);
        assertThat(before).hasSize(12);

        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        int added = 0;
        do {
            Http.Response page = http.get("/api/threads/" + thread + "/messages?limit=5"
                    + (cursor == null ? "" : "&cursor=" + encode(cursor)));
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            page.json().path("data").forEach(message -> seen.add(message.path("id").asText()));
            cursor = page.json().path("next_cursor").isNull() ? null : page.json().path("next_cursor").asText();
            if (added < 2) {
                http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"later " + added + "\"}");
                added++;
            }
            pages++;
        } while (cursor != null && pages < 20);

        assertThat(seen).doesNotHaveDuplicates();
        // Oldest first: the messages that existed come first, in order; the new ones follow them.
        assertThat(seen.subList(0, before.size()))
                .containsExactlyElementsOf(before.stream().map(message -> message.path("id").asText()).toList());
        assertThat(seen).hasSize(before.size() + 2 * added);
        assertThat(before).extracting(message -> message.path("content").asText())
                .startsWith("message 1", "You said: message 1", "message 2");
    }

    private static List<JsonNode> listAll(String path, int limit) {
        List<JsonNode> all = new ArrayList<>();
        String cursor = null;
        do {
            Http.Response page = http.get(path + "?limit=" + limit + (cursor == null ? "" : "&cursor=" + encode(cursor)));
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            page.json().path("data").forEach(all::add);
            cursor = page.json().path("next_cursor").isNull() ? null : page.json().path("next_cursor").asText();
        } while (cursor != null);
        return all;
    }

    private static void assertBadRequest(Http.Response response, String detailFragment) {
        JsonNode problem = Problems.assertProblem(response, 400, "invalid_request");
        assertThat(problem.path("detail").asText()).contains(detailFragment);
    }

    private static String encode(String cursor) {
        return URLEncoder.encode(cursor, StandardCharsets.UTF_8);
    }

}
