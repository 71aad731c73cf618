package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The HTTP API of SPEC §6 as a client sees it: shapes, pagination, runs, and every kind of bad input. */
class HttpApiTest {
    private static final AtomicInteger USERS = new AtomicInteger();
    private static final int MIB = 1024 * 1024;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void createThread_returns201WithTheThread_andGetReadsItBack() {
        Http http = newUser();
        Instant before = Instant.now().minusSeconds(1);
        Http.Response created = http.post("/api/threads",
                "{\"title\":\"Quarterly report\",\"metadata\":{\"project\":\"apollo\",\"priority\":2,\"tags\":[\"a\"]}}");

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.header("Content-Type")).startsWith("application/json");
        JsonNode thread = created.json();
        assertThat(thread.path("id").asText()).startsWith("thr_");
        assertThat(thread.path("title").asText()).isEqualTo("Quarterly report");
        assertThat(thread.path("metadata")).isEqualTo(WsClient.JSON.createObjectNode().put("project", "apollo")
                .put("priority", 2).set("tags", WsClient.JSON.createArrayNode().add("a")));
        Instant createdAt = rfc3339Utc(thread.path("created_at"));
        Instant updatedAt = rfc3339Utc(thread.path("updated_at"));
        assertThat(createdAt).isBetween(before, Instant.now().plusSeconds(1));
        assertThat(updatedAt).isAfterOrEqualTo(createdAt);

        Http.Response read = http.get("/api/threads/" + thread.path("id").asText());
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json()).isEqualTo(thread);
    }

    @Test
    void createThread_withAnEmptyObject_createsAnUntitledThread() {
        Http http = newUser();
        Http.Response created = http.post("/api/threads", "{}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("id").asText()).startsWith("thr_");
        assertThat(created.json().path("metadata").isObject()).isTrue();
        assertThat(listAllThreadIds(http)).containsExactly(created.json().path("id").asText());
    }

    @Test
    void listThreads_pagesMostRecentlyUpdatedFirst_withoutDuplicates() {
        Http http = newUser();
        List<String> created = new ArrayList<>();
        Instant previous = Instant.EPOCH;
        for (int i = 0; i < 5; i++) {
            // Distinct creation instants make "most recently updated first" one exact order.
            Instant last = previous;
            await().atMost(Duration.ofSeconds(1)).until(() -> Instant.now().toEpochMilli() > last.toEpochMilli() + 1);
            JsonNode thread = http.post("/api/threads", "{\"title\":\"thread " + i + "\"}").json();
            created.add(thread.path("id").asText());
            previous = rfc3339Utc(thread.path("updated_at"));
        }
        List<String> newestFirst = created.reversed();

        List<String> paged = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String cursor = null;
        do {
            Http.Response page = http.get("/api/threads?limit=2"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            assertThat(page.status()).as("page %s", page.body()).isEqualTo(200);
            List<String> ids = ids(page.json().path("data"));
            pageSizes.add(ids.size());
            paged.addAll(ids);
            JsonNode next = page.json().path("next_cursor");
            assertThat(next.isNull() || next.isTextual()).as("next_cursor %s", next).isTrue();
            cursor = next.isNull() ? null : next.asText();
        } while (cursor != null && pageSizes.size() < 10);

        assertThat(pageSizes).containsExactly(2, 2, 1);
        assertThat(paged).containsExactlyElementsOf(newestFirst);

        JsonNode all = http.get("/api/threads").json();
        assertThat(ids(all.path("data"))).containsExactlyElementsOf(newestFirst);
        assertThat(all.path("next_cursor").isNull()).isTrue();
        JsonNode exactlyFive = http.get("/api/threads?limit=5").json();
        assertThat(ids(exactlyFive.path("data"))).containsExactlyElementsOf(newestFirst);
        assertThat(exactlyFive.path("next_cursor").isNull()).as("no page after the last thread").isTrue();
    }

    @Test
    void listThreads_createdWithinTheSameMillisecond_pageWithoutLossOrDuplicates() {
        Http http = newUser();
        List<String> created = IntStream.range(0, 7)
                .mapToObj(i -> http.post("/api/threads", "{}").json().path("id").asText())
                .toList();
        List<String> unpaged = ids(http.get("/api/threads").json().path("data"));

        List<String> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = http.get("/api/threads?limit=3"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8))).json();
            paged.addAll(ids(page.path("data")));
            cursor = page.path("next_cursor").isNull() ? null : page.path("next_cursor").asText();
            pages++;
        } while (cursor != null && pages < 10);

        assertThat(pages).isEqualTo(3);
        assertThat(paged).containsExactlyElementsOf(unpaged).containsExactlyInAnyOrderElementsOf(created);
    }

    @Test
    void listThreads_showsARunsThreadFirstOnceItWasUpdated() {
        Http http = newUser();
        String older = http.post("/api/threads", "{\"title\":\"older\"}").json().path("id").asText();
        Instant olderCreated = rfc3339Utc(http.get("/api/threads/" + older).json().path("updated_at"));
        await().atMost(Duration.ofSeconds(1)).until(() -> Instant.now().toEpochMilli() > olderCreated.toEpochMilli() + 1);
        String newer = http.post("/api/threads", "{\"title\":\"newer\"}").json().path("id").asText();
        assertThat(ids(http.get("/api/threads").json().path("data"))).containsExactly(newer, older);

        Instant newerCreated = rfc3339Utc(http.get("/api/threads/" + newer).json().path("updated_at"));
        await().atMost(Duration.ofSeconds(1)).until(() -> Instant.now().toEpochMilli() > newerCreated.toEpochMilli() + 1);
        assertThat(http.post("/api/threads/" + older + "/runs?wait=true", "{\"content\":\"hello\"}").status())
                .isEqualTo(200);
        JsonNode olderNow = http.get("/api/threads/" + older).json();
        assertThat(rfc3339Utc(olderNow.path("updated_at"))).isAfter(newerCreated);
        assertThat(ids(http.get("/api/threads").json().path("data"))).containsExactly(older, newer);
    }

    @ParameterizedTest(name = "limit={0} -> 400")
    @ValueSource(strings = {"0", "101", "abc", "-1", "2.5", "", "99999999999"})
    void listThreads_withALimitOutside1To100_is400(String limit) {
        Http http = newUser();
        http.post("/api/threads", "{}");
        JsonNode problem = Problems.assertProblem(http.get("/api/threads?limit=" + limit), 400, null);
        assertThat(problem.path("detail").asText()).contains("limit");
    }

    @Test
    void listThreads_withLimitsAtTheBounds_isOk() {
        Http http = newUser();
        assertThat(http.get("/api/threads?limit=1").status()).isEqualTo(200);
        assertThat(http.get("/api/threads?limit=100").status()).isEqualTo(200);
    }

    static Stream<String> invalidCursors() {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        return Stream.of("not-a-cursor", "%25%25%25", "!!!",
                base64.encodeToString("123".getBytes(StandardCharsets.UTF_8)),
                base64.encodeToString("abc|thr_x".getBytes(StandardCharsets.UTF_8)),
                base64.encodeToString("|".getBytes(StandardCharsets.UTF_8)));
    }

    @ParameterizedTest(name = "cursor={0} -> 400")
    @MethodSource("invalidCursors")
    void listThreads_withAnInvalidCursor_is400(String cursor) {
        Http http = newUser();
        http.post("/api/threads", "{}");
        Problems.assertProblem(http.get("/api/threads?cursor=" + cursor), 400, null);
    }

    @Test
    void getThread_thatDoesNotExist_is404() {
        Http http = newUser();
        Problems.assertProblem(http.get("/api/threads/thr_00000000000000000000000000"), 404, "not_found");
        Problems.assertProblem(http.get("/api/threads/nonsense"), 404, "not_found");
        Problems.assertProblem(http.get("/api/threads/thr_00000000000000000000000000/messages"), 404, "not_found");
        Problems.assertProblem(http.get("/api/runs/run_00000000000000000000000000"), 404, "not_found");
        Problems.assertProblem(http.get("/api/runs/run_00000000000000000000000000/events"), 404, "not_found");
    }

    @Test
    void startRun_withWait_returnsTheCompletedRun_andTheThreadHoldsBothMessagesOldestFirst() {
        Http http = newUser();
        String thread = http.post("/api/threads", "{\"title\":\"math\"}").json().path("id").asText();
        Instant before = Instant.now().minusSeconds(1);

        Http.Response response = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}");

        assertThat(response.status()).isEqualTo(200);
        JsonNode run = response.json();
        assertThat(run.path("id").asText()).startsWith("run_");
        assertThat(run.path("thread_id").asText()).isEqualTo(thread);
        assertThat(run.path("agent").asText()).isEqualTo("supervisor");
        assertThat(run.path("status").asText()).isEqualTo("completed");
        assertThat(run.path("origin").asText()).isEqualTo("http");
        assertThat(run.path("output").asText()).contains("42");
        assertThat(run.path("error").isNull()).isTrue();
        Instant createdAt = rfc3339Utc(run.path("created_at"));
        Instant startedAt = rfc3339Utc(run.path("started_at"));
        Instant finishedAt = rfc3339Utc(run.path("finished_at"));
        assertThat(createdAt).isAfter(before);
        assertThat(startedAt).isAfterOrEqualTo(createdAt);
        assertThat(finishedAt).isAfterOrEqualTo(startedAt);
        assertThat(http.get("/api/runs/" + run.path("id").asText()).json()).isEqualTo(run);

        String secondRun = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"hello there\"}")
                .json().path("id").asText();

        JsonNode messages = http.get("/api/threads/" + thread + "/messages").json().path("data");
        assertThat(messages).hasSize(4);
        assertThat(messages).extracting(message -> message.path("role").asText())
                .containsExactly("user", "assistant", "user", "assistant");
        assertThat(messages).extracting(message -> message.path("run_id").asText())
                .containsExactly(run.path("id").asText(), run.path("id").asText(), secondRun, secondRun);
        assertThat(messages).extracting(message -> message.path("thread_id").asText()).containsOnly(thread);
        assertThat(messages).extracting(message -> message.path("id").asText()).allMatch(id -> id.startsWith("msg_"))
                .doesNotHaveDuplicates();
        assertThat(messages.get(0).path("content").asText()).isEqualTo("What is 6*7?");
        assertThat(messages.get(1).path("content").asText()).isEqualTo(run.path("output").asText());
        assertThat(messages.get(2).path("content").asText()).isEqualTo("hello there");
        assertThat(messages.get(3).path("content").asText()).contains("hello there");
        List<Instant> times = StreamSupport.stream(messages.spliterator(), false)
                .map(message -> rfc3339Utc(message.path("created_at"))).toList();
        assertThat(times).isSorted();
    }

    @Test
    void startRun_withoutWait_is202_andTheRunCompletesLater() {
        Http http = newUser();
        String thread = http.post("/api/threads", "{}").json().path("id").asText();

        Http.Response response = http.post("/api/threads/" + thread + "/runs", "{\"content\":\"wait 1 seconds\"}");

        assertThat(response.status()).isEqualTo(202);
        JsonNode run = response.json();
        assertThat(run.path("status").asText()).isIn("queued", "running");
        assertThat(run.path("origin").asText()).isEqualTo("http");
        assertThat(run.path("finished_at").isNull()).isTrue();
        String runId = run.path("id").asText();
        JsonNode finished = await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .until(() -> http.get("/api/runs/" + runId).json(),
                        current -> current.path("status").asText().equals("completed"));
        assertThat(finished.path("output").asText()).contains("1");
        assertThat(rfc3339Utc(finished.path("finished_at"))).isAfterOrEqualTo(rfc3339Utc(finished.path("started_at")));
    }

    @Test
    void runEvents_afterN_returnsOnlyTheEventsAfterN() {
        Http http = newUser();
        String thread = http.post("/api/threads", "{}").json().path("id").asText();
        String run = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}")
                .json().path("id").asText();

        JsonNode all = http.get("/api/runs/" + run + "/events").json().path("data");
        assertThat(all.size()).isGreaterThan(3);
        assertThat(StreamSupport.stream(all.spliterator(), false).map(event -> event.path("seq").asInt()))
                .containsExactlyElementsOf(IntStream.rangeClosed(1, all.size()).boxed().toList());
        assertThat(all.get(all.size() - 1).path("type").asText()).isEqualTo("run_completed");
        assertThat(StreamSupport.stream(all.spliterator(), false))
                .allMatch(event -> event.path("run_id").asText().equals(run))
                .allMatch(event -> event.path("thread_id").asText().equals(thread));

        JsonNode afterThree = http.get("/api/runs/" + run + "/events?after=3").json().path("data");
        assertThat(afterThree).containsExactlyElementsOf(
                StreamSupport.stream(all.spliterator(), false).skip(3).toList());
        assertThat(http.get("/api/runs/" + run + "/events?after=0").json().path("data")).isEqualTo(all);
        assertThat(http.get("/api/runs/" + run + "/events?after=" + all.size()).json().path("data")).isEmpty();

        Problems.assertProblem(http.get("/api/runs/" + run + "/events?after=abc"), 400, null);
        Problems.assertProblem(http.get("/api/runs/" + run + "/events?after=-1"), 400, null);
    }

    static Stream<Arguments> rejectedCredentials() {
        String user = "http-intruder";
        return Stream.of(
                arguments("no token", (Supplier<String>) () -> null),
                arguments("a malformed token", (Supplier<String>) () -> "not-a-jwt"),
                arguments("an expired token", (Supplier<String>) () -> server.token(user, Duration.ofSeconds(-120))),
                arguments("a token signed with another secret", (Supplier<String>) () ->
                        Jwts.signed("another-secret-that-is-also-long-enough-0123456789", user)),
                arguments("a token without exp", (Supplier<String>) () -> Jwts.withoutExpiry(TestServer.SECRET, user)),
                arguments("an unsigned alg=none token", (Supplier<String>) () -> Jwts.unsigned(user)));
    }

    @ParameterizedTest(name = "{0} -> 401")
    @MethodSource("rejectedCredentials")
    void api_withoutAValidToken_is401_andStoresNothing(String description, Supplier<String> token) {
        Http rejected = new Http(server, token.get());
        for (String path : List.of("/api/threads", "/api/threads/thr_00000000000000000000000000",
                "/api/runs/run_00000000000000000000000000", "/api/runs/run_00000000000000000000000000/events")) {
            Http.Response response = rejected.get(path);
            Problems.assertProblem(response, 401, "unauthorized");
            assertThat(response.header("WWW-Authenticate")).as("WWW-Authenticate on %s", path).startsWith("Bearer");
        }
        Problems.assertProblem(rejected.post("/api/threads", "{\"title\":\"sneaky\"}"), 401, "unauthorized");
        assertThat(new Http(server, server.token("http-intruder")).get("/api/threads").json().path("data")).isEmpty();
    }

    @Test
    void api_withAHandMadeTokenSignedWithTheServersSecret_isAccepted() {
        // The control for the forged tokens above: the same hand-made token, correctly signed, gets in.
        Http http = new Http(server, Jwts.signed(TestServer.SECRET, "http-hand-made"));
        assertThat(http.get("/api/threads").status()).isEqualTo(200);
    }

    static Stream<Arguments> badThreadBodies() {
        return Stream.of(
                arguments("malformed JSON", "{\"title\":"),
                arguments("not JSON", "title=x"),
                arguments("a JSON array", "[{\"title\":\"x\"}]"),
                arguments("a JSON string", "\"x\""),
                arguments("title as a number", "{\"title\":5}"),
                arguments("title as an object", "{\"title\":{\"text\":\"x\"}}"),
                arguments("metadata as an array", "{\"metadata\":[1,2]}"),
                arguments("metadata as a string", "{\"metadata\":\"x\"}"),
                arguments("metadata as a number", "{\"metadata\":1}"),
                arguments("an unknown field", "{\"title\":\"x\",\"titel\":\"x\"}"));
    }

    @ParameterizedTest(name = "thread body with {0} -> 400")
    @MethodSource("badThreadBodies")
    void createThread_withABadBody_is400_andStoresNothing(String description, String body) {
        Http http = newUser();
        String existing = http.post("/api/threads", "{\"title\":\"existing\"}").json().path("id").asText();

        Problems.assertProblem(http.post("/api/threads", body), 400, null);

        assertThat(listAllThreadIds(http)).containsExactly(existing);
    }

    static Stream<Arguments> badRunBodies() {
        return Stream.of(
                arguments("malformed JSON", "{\"content\":"),
                arguments("a JSON array", "[\"What is 6*7?\"]"),
                arguments("an empty body", ""),
                arguments("content missing", "{}"),
                arguments("content null", "{\"content\":null}"),
                arguments("content as a number", "{\"content\":42}"),
                arguments("content as an array", "{\"content\":[\"What is 6*7?\"]}"),
                arguments("blank content", "{\"content\":\"   \"}"),
                arguments("agent as a number", "{\"content\":\"What is 6*7?\",\"agent\":7}"),
                arguments("an unknown field", "{\"content\":\"What is 6*7?\",\"priority\":\"high\"}"));
    }

    @ParameterizedTest(name = "run body with {0} -> 400")
    @MethodSource("badRunBodies")
    void startRun_withABadBody_is400_andStartsNothing(String description, String body) {
        Http http = newUser();
        JsonNode thread = http.post("/api/threads", "{}").json();
        String id = thread.path("id").asText();

        Problems.assertProblem(http.post("/api/threads/" + id + "/runs", body), 400, null);
        Problems.assertProblem(http.post("/api/threads/" + id + "/runs?wait=true", body), 400, null);

        assertThat(http.get("/api/threads/" + id + "/messages").json().path("data")).isEmpty();
        assertThat(http.get("/api/threads/" + id).json()).isEqualTo(thread);
        // Not even a queued run holds the thread: a good start goes through at once.
        assertThat(http.post("/api/threads/" + id + "/runs?wait=true", "{\"content\":\"What is 6*7?\"}").status())
                .isEqualTo(200);
    }

    @Test
    void startRun_withAnUnknownAgent_is400() {
        Http http = newUser();
        String id = http.post("/api/threads", "{}").json().path("id").asText();
        Problems.assertProblem(http.post("/api/threads/" + id + "/runs",
                "{\"content\":\"What is 6*7?\",\"agent\":\"no-such-agent\"}"), 400, null);
        assertThat(http.get("/api/threads/" + id + "/messages").json().path("data")).isEmpty();
    }

    @Test
    void body_overOneMebibyte_is413_andStoresNothing() {
        Http http = newUser();
        String existing = http.post("/api/threads", "{}").json().path("id").asText();
        String tooLarge = jsonOfSize(MIB + 1);

        Problems.assertProblem(http.post("/api/threads", tooLarge), 413, null);
        Problems.assertProblem(http.send(http.builder("/api/threads").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(tooLarge.getBytes(StandardCharsets.UTF_8))))), 413, null);
        Problems.assertProblem(http.post("/api/threads/" + existing + "/runs", tooLarge), 413, null);

        assertThat(listAllThreadIds(http)).containsExactly(existing);
        assertThat(http.get("/api/threads/" + existing + "/messages").json().path("data")).isEmpty();
    }

    @Test
    void body_ofExactlyOneMebibyte_isNotTooLarge() {
        Http http = newUser();
        // Exactly at the limit the body is read and judged: its title is far too long, a 400, not a 413.
        Problems.assertProblem(http.post("/api/threads", jsonOfSize(MIB)), 400, null);
        assertThat(listAllThreadIds(http)).isEmpty();
    }

    @Test
    void unknownPath_is404() {
        Http http = newUser();
        Problems.assertProblem(http.get("/api/nothing-here"), 404, "not_found");
        Problems.assertProblem(http.get("/api/threads/thr_00000000000000000000000000/nothing"), 404, "not_found");
        Problems.assertProblem(http.get("/nothing-here"), 404, "not_found");
        Problems.assertProblem(new Http(server, null).get("/api/nothing-here"), 404, "not_found");
    }

    @Test
    void wrongMethod_is405_withAnAllowHeader() {
        Http http = newUser();
        String thread = http.post("/api/threads", "{}").json().path("id").asText();
        String run = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"hello\"}").json()
                .path("id").asText();

        Http.Response deleteRun = http.send(http.builder("/api/runs/" + run).DELETE());
        Problems.assertProblem(deleteRun, 405, null);
        assertThat(allowed(deleteRun)).contains("GET").doesNotContain("DELETE");

        Http.Response putThreads = http.send(http.builder("/api/threads")
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        Problems.assertProblem(putThreads, 405, null);
        assertThat(allowed(putThreads)).contains("GET", "POST").doesNotContain("PUT");

        Http.Response getCancel = http.get("/api/runs/" + run + "/cancel");
        Problems.assertProblem(getCancel, 405, null);
        assertThat(allowed(getCancel)).contains("POST");

        Http.Response postHealth = http.post("/healthz", "{}");
        assertThat(postHealth.status()).isEqualTo(405);
        assertThat(allowed(postHealth)).contains("GET");

        // Nothing was deleted.
        assertThat(http.get("/api/runs/" + run).status()).isEqualTo(200);
    }

    @Test
    void healthAndReadiness_answerWithoutAuthentication() {
        Http anonymous = new Http(server, null);
        Http.Response health = anonymous.get("/healthz");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.header("Content-Type")).startsWith("application/json");
        assertThat(health.json()).isEqualTo(WsClient.JSON.createObjectNode().put("status", "ok"));

        assertThat(anonymous.get("/readyz").status()).isEqualTo(200);
        assertThat(new Http(server, "not-a-jwt").get("/healthz").status()).isEqualTo(200);
        assertThat(new Http(server, "not-a-jwt").get("/readyz").status()).isEqualTo(200);
    }

    private static Http newUser() {
        return new Http(server, server.token("http-api-" + USERS.incrementAndGet()));
    }

    private static List<String> listAllThreadIds(Http http) {
        Http.Response page = http.get("/api/threads?limit=100");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.json().path("next_cursor").isNull()).isTrue();
        return ids(page.json().path("data"));
    }

    private static List<String> ids(JsonNode items) {
        return StreamSupport.stream(items.spliterator(), false).map(item -> item.path("id").asText()).toList();
    }

    private static List<String> allowed(Http.Response response) {
        String allow = response.header("Allow");
        assertThat(allow).as("Allow header").isNotBlank();
        return Stream.of(allow.split(",")).map(String::strip).toList();
    }

    /** A syntactically valid thread body of exactly {@code bytes} bytes, its title far over any sane limit. */
    private static String jsonOfSize(int bytes) {
        String prefix = "{\"title\":\"";
        String suffix = "\"}";
        return prefix + "x".repeat(bytes - prefix.length() - suffix.length()) + suffix;
    }

    /** Parses an RFC 3339 timestamp and checks it is in UTC. */
    private static Instant rfc3339Utc(JsonNode value) {
        assertThat(value.isTextual()).as("timestamp %s", value).isTrue();
        OffsetDateTime parsed = OffsetDateTime.parse(value.asText());
        assertThat(parsed.getOffset()).as("offset of %s", value).isEqualTo(ZoneOffset.UTC);
        return parsed.toInstant();
    }
}
