package dev.overseer.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.Http;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §6: bad input of any kind over every route (malformed and oversized bodies, wrong content types, bad query
 * values, path tricks, huge headers, bad Last-Event-ID, a reused Idempotency-Key, unknown methods) is never a 5xx,
 * and every 4xx is an {@code application/problem+json} problem with a non-empty detail. Sent over raw sockets.
 * A request that is not an HTTP/1.1 message at all (RFC 9112: a fragment in the target, an invalid
 * Content-Length, no Host, more header lines than the parser holds) is refused by Undertow's parser before any
 * route sees it, with a bare 400 and the connection closed (docs/http-api.md): those must be exactly that.
 */
class HttpFuzzTest {
    private static final int MIB = 1 << 20;
    private static final int RANDOM_CASES = 700;
    private static TestServer server;
    private static String token;
    private static String thread;
    private static String run;
    /** The thread the method sweep may delete, so the other cases keep finding theirs. */
    private static String victim;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "1000"));
        token = server.token("http-fuzz");
        Http http = new Http(server, token);
        thread = http.createThread();
        victim = http.createThread();
        run = http.post("/api/threads/" + thread + "/runs?wait=true", "{\"content\":\"What is 2+2?\"}").json().path("id").asText();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    record Case(String name, String method, String path, List<String> headers, byte[] body) {
    }

    private static final List<String> BODIES = List.of(
            "", " ", "{", "}", "[]", "null", "true", "42", "\"str\"", "{\"title\":", "{'title':'x'}", "{title:1}",
            "{\"title\":123}", "{\"title\":null}", "{\"title\":[]}", "{\"title\":\"\\u0000\"}", "{\"title\":\"\\ud800\"}",
            "{\"metadata\":\"x\"}", "{\"metadata\":[1]}", "{\"metadata\":null}", "{\"metadata\":{\"k\":{\"n\":{\"m\":[1,{}]}}}}",
            "{\"content\":\"\"}", "{\"content\":\"   \"}", "{\"content\":123}", "{\"content\":null}", "{\"content\":[\"a\"]}",
            "{\"content\":\"hi\\u0000there\"}", "{\"content\":\"hi\",\"agent\":\"nope\"}", "{\"content\":\"hi\",\"agent\":123}",
            "{\"content\":\"hi\",\"agent\":null}", "{\"tool_call_id\":123,\"approved\":\"yes\"}",
            "{\"tool_call_id\":\"c\",\"approved\":true,\"reason\":123}", "{\"tool_call_id\":null,\"approved\":null}",
            "{\"approved\":true}", "{\"a\":1e999999}", "{\"limit\":99999999999999999999999999}",
            "{\"content\":\"hi\",\"content\":\"x\"}", "\uFEFF{}", "{\"title\":\"x\"} trailing", "{\"title\":\"x\",}",
            "{\"title\":NaN}", "{\"title\":\"" + "\\u0007".repeat(50) + "\"}");

    private static final List<String> CONTENT_TYPES = List.of("text/plain", "application/xml", "",
            "application/json; charset=latin1", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
            "a/b/c;;;", "application/json, text/plain", "APPLICATION/JSON", "application/problem+json");

    private final Map<Integer, Integer> statuses = new TreeMap<>();
    private final List<String> violations = new ArrayList<>();
    private int requests;
    private int dropped;
    private int unparseable;

    @Test
    void badInputOnEveryRoute_isNever5xx_andEvery4xxIsAProblemWithADetail() throws Exception {
        List<Case> cases = new ArrayList<>();
        List<String[]> bodyRoutes = List.of(
                new String[] {"POST", "/api/threads"}, new String[] {"PATCH", "/api/threads/" + thread},
                new String[] {"POST", "/api/threads/" + thread + "/runs"}, new String[] {"POST", "/api/runs/" + run + "/cancel"},
                new String[] {"POST", "/api/runs/" + run + "/approvals"});
        List<String> getRoutes = List.of("/healthz", "/readyz", "/metrics", "/openapi.json", "/asyncapi.json", "/",
                "/api/threads", "/api/threads/" + victim, "/api/threads/" + victim + "/messages", "/api/runs/" + run,
                "/api/runs/" + run + "/events", "/ws");

        for (String[] route : bodyRoutes) {
            for (String body : BODIES) {
                cases.add(json("body", route[0], route[1], body.getBytes(StandardCharsets.UTF_8)));
            }
            cases.add(json("invalid-utf8", route[0], route[1], new byte[] {'{', '"', 't', 'i', 't', 'l', 'e', '"', ':', '"', (byte) 0xc3, 0x28, '"', '}'}));
            cases.add(json("deep", route[0], route[1], ("[".repeat(200_000) + "]".repeat(200_000)).getBytes(StandardCharsets.UTF_8)));
            cases.add(json("deep-object", route[0], route[1], ("{\"title\":\"t\",\"metadata\":" + "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_001)).getBytes(StandardCharsets.UTF_8)));
            for (String type : CONTENT_TYPES) {
                List<String> headers = new ArrayList<>(List.of(auth()));
                if (!type.isEmpty()) {
                    headers.add("Content-Type: " + type);
                }
                cases.add(new Case("content-type:" + type, route[0], route[1], headers, "{\"title\":\"t\",\"content\":\"hi\"}".getBytes(StandardCharsets.UTF_8)));
            }
            byte[] big = ("{\"title\":\"" + "x".repeat(MIB) + "\"}").getBytes(StandardCharsets.UTF_8);
            cases.add(json("over-1mib-content-length", route[0], route[1], big));
            cases.add(new Case("over-1mib-chunked", route[0], route[1], List.of(auth(), "Content-Type: application/json",
                    "Transfer-Encoding: chunked"), chunked(big)));
            cases.add(new Case("declared-10mib-partial", route[0], route[1], List.of(auth(), "Content-Type: application/json",
                    "Content-Length: 10485760"), "{\"title\":".getBytes(StandardCharsets.UTF_8)));
            cases.add(new Case("content-length-negative", route[0], route[1], List.of(auth(), "Content-Type: application/json",
                    "Content-Length: -5"), new byte[0]));
            cases.add(new Case("content-length-garbage", route[0], route[1], List.of(auth(), "Content-Type: application/json",
                    "Content-Length: 12abc"), new byte[0]));
            cases.add(new Case("malformed-chunk", route[0], route[1], List.of(auth(), "Content-Type: application/json",
                    "Transfer-Encoding: chunked"), "zz\r\n{}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            cases.add(new Case("no-auth", route[0], route[1], List.of("Content-Type: application/json"), "{}".getBytes(StandardCharsets.UTF_8)));
        }

        List<String> badQueryValues = List.of("0", "-1", "101", "abc", "1e3", "99999999999999999999", "", "1.5", "%00",
                "%ZZ", "1%20OR%201=1", "x".repeat(5_000), "１０");
        for (String value : badQueryValues) {
            cases.add(get("limit", "/api/threads?limit=" + value));
            cases.add(get("cursor", "/api/threads?cursor=" + value));
            cases.add(get("limit-messages", "/api/threads/" + thread + "/messages?limit=" + value));
            cases.add(get("cursor-messages", "/api/threads/" + thread + "/messages?cursor=" + value));
            cases.add(get("after", "/api/runs/" + run + "/events?after=" + value));
            cases.add(json("wait", "POST", "/api/threads/" + thread + "/runs?wait=" + value, "{\"content\":\"q\"}".getBytes(StandardCharsets.UTF_8)));
        }
        cases.add(get("limit-twice", "/api/threads?limit=1&limit=200"));
        cases.add(get("cursor-forged", "/api/threads?cursor=eyJ0IjoiMjAyNi0wMS0wMSIsImlkIjoidGhyX3gifQ"));

        List<String> ids = List.of("%2F..%2F", "..", "%2e%2e", "thr_%00", "thr_" + "a".repeat(5_000), "%ZZ",
                "thr_%E2%80%AE", "run_x", "thr_x%2F..%2F..%2Fruns", "thr_'%20OR%20'1'='1", "thr_%C3%28", ".",
                "thr_" + thread.substring(4).toUpperCase(), "%20" + thread, thread + "%20", thread + "%00");
        for (String id : ids) {
            cases.add(get("path-thread", "/api/threads/" + id));
            cases.add(get("path-messages", "/api/threads/" + id + "/messages"));
            cases.add(get("path-run", "/api/runs/" + id));
            cases.add(get("path-events", "/api/runs/" + id + "/events"));
            cases.add(json("path-runs", "POST", "/api/threads/" + id + "/runs", "{\"content\":\"q\"}".getBytes(StandardCharsets.UTF_8)));
            cases.add(json("path-cancel", "POST", "/api/runs/" + id + "/cancel", "{}".getBytes(StandardCharsets.UTF_8)));
            cases.add(json("path-patch", "PATCH", "/api/threads/" + id, "{\"title\":\"t\"}".getBytes(StandardCharsets.UTF_8)));
            cases.add(new Case("path-delete", "DELETE", "/api/threads/" + id, List.of(auth()), null));
        }
        for (String path : List.of("//api//threads", "/api/threads/", "/api/threads/" + thread + "/runs/extra", "/API/THREADS",
                "/api/threads/../runs/" + run, "/api/./threads", "/api/threads?", "/api/threads#frag", "/api/%74hreads",
                "/api/threads;jsessionid=1", "/api/runs", "/api/runs/", "/api", "/nope", "/healthz/../api/threads",
                "/" + "a".repeat(4_000))) {
            cases.add(get("path", path));
        }

        cases.add(withHeaders("header-100kb", "GET", "/api/threads", auth(), "X-Big: " + "b".repeat(100_000)));
        List<String> many = new ArrayList<>(List.of(auth()));
        for (int i = 0; i < 2_000; i++) {
            many.add("X-N" + i + ": v");
        }
        cases.add(new Case("headers-2000", "GET", "/api/threads", many, null));
        cases.add(withHeaders("token-100kb", "GET", "/api/threads", "Authorization: Bearer " + "a".repeat(100_000)));
        cases.add(withHeaders("cookie-50kb", "GET", "/api/threads", auth(), "Cookie: c=" + "c".repeat(50_000)));
        cases.add(withHeaders("header-no-colon", "GET", "/api/threads", auth(), "NoColonHere"));
        cases.add(withHeaders("header-obs-fold", "GET", "/api/threads", auth(), "X-Folded: a", " b"));
        cases.add(withHeaders("header-non-ascii", "GET", "/api/threads", auth(), "X-Latin: \u00ff\u00fe"));
        cases.add(withHeaders("authorization-twice", "GET", "/api/threads", auth(), auth()));
        cases.add(withHeaders("accept-garbage", "GET", "/api/runs/" + run, auth(), "Accept: ;;;/;"));
        cases.add(withHeaders("host-missing-http11", "GET", "/healthz"));

        for (String lastEventId : List.of("abc", "-1", "", "1.5", "99999999999999999999", "3, 4", "\t", "0x10", "1e2",
                "%00", "9".repeat(3_000))) {
            cases.add(withHeaders("last-event-id", "GET", "/api/runs/" + run + "/events", auth(), "Accept: text/event-stream",
                    "Last-Event-ID: " + lastEventId));
        }
        for (String key : List.of("", " ", "k".repeat(201), "k".repeat(10_000), "\u00ff\u00fe")) {
            cases.add(new Case("idempotency-key-bad", "POST", "/api/threads/" + thread + "/runs", List.of(auth(),
                    "Content-Type: application/json", "Idempotency-Key: " + key), "{\"content\":\"k\"}".getBytes(StandardCharsets.UTF_8)));
        }
        for (String method : List.of("FOO", "PROPFIND", "PUT", "TRACE", "OPTIONS", "HEAD", "DELETE", "PATCH", "POST",
                "get", "BREW", "M-SEARCH")) {
            for (String path : getRoutes) {
                cases.add(new Case("method:" + method, method, path, List.of(auth()), null));
            }
        }

        Random random = Seed.random("http-fuzz");
        for (int i = 0; i < RANDOM_CASES; i++) {
            Case base = cases.get(random.nextInt(cases.size()));
            String body = BODIES.get(random.nextInt(BODIES.size()));
            String type = CONTENT_TYPES.get(random.nextInt(CONTENT_TYPES.size()));
            List<String> headers = new ArrayList<>(List.of(auth()));
            if (!type.isEmpty()) {
                headers.add("Content-Type: " + type);
            }
            String[] route = bodyRoutes.get(random.nextInt(bodyRoutes.size()));
            String method = random.nextInt(4) == 0 && !base.method().equals("DELETE") ? base.method() : route[0];
            cases.add(new Case("random:" + base.name(), method, random.nextBoolean() ? route[1] : base.path(), headers,
                    body.getBytes(StandardCharsets.UTF_8)));
        }

        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<RawHttp.Response>> answers = new ArrayList<>();
            for (Case c : cases) {
                answers.add(pool.submit(() -> send(c)));
            }
            for (int i = 0; i < cases.size(); i++) {
                check(cases.get(i), answers.get(i).get(60, TimeUnit.SECONDS));
            }
        }
        // The reused Idempotency-Key, in order, on a thread of its own whose first run has finished.
        String keyed = new Http(server, token).createThread();
        Case first = new Case("idempotency-first", "POST", "/api/threads/" + keyed + "/runs?wait=true", List.of(auth(),
                "Content-Type: application/json", "Idempotency-Key: fuzz-key"), "{\"content\":\"one\"}".getBytes(StandardCharsets.UTF_8));
        check(first, send(first));
        Case second = new Case("idempotency-reused", "POST", "/api/threads/" + keyed + "/runs", List.of(auth(),
                "Content-Type: application/json", "Idempotency-Key: fuzz-key"), "{\"content\":\"two\"}".getBytes(StandardCharsets.UTF_8));
        RawHttp.Response reused = send(second);
        check(second, reused);
        if (reused.status() != 422) {
            violations.add("a reused Idempotency-Key with another body answered " + reused.status() + ": " + reused.body());
        }

        // A malformed escape names the part of the target at fault; well-formed escapes decode as before.
        RawHttp.Response badPath = send(get("escape-path", "/api/threads/%ZZ"));
        RawHttp.Response badQuery = send(get("escape-query", "/api/threads?limit=%E2%28"));
        RawHttp.Response escaped = send(get("escaped-letters", "/api/%74hreads/" + thread));
        assertThat(badPath.body()).contains("the request path has a malformed percent-encoding at offset 13");
        assertThat(badQuery.body()).contains("query parameter 'limit' is not UTF-8 once percent-decoded");
        assertThat(escaped.status()).isEqualTo(200);

        // The server still answers normally.
        Http http = new Http(server, token);
        int after = http.get("/api/threads/" + thread).status();

        Figures.of("http-fuzz").put("requests", requests).put("statuses", Figures.counts(statuses))
                .put("5xx", statuses.entrySet().stream().filter(e -> e.getKey() >= 500).mapToInt(Map.Entry::getValue).sum())
                .put("dropped", dropped).put("unparseable_400", unparseable).put("violations", violations.size()).put("after", after).print();
        assertThat(violations).as("5xx answers and 4xx answers that are not problems with a detail").isEmpty();
        assertThat(after).isEqualTo(200);
    }

    private RawHttp.Response send(Case c) {
        StringBuilder head = new StringBuilder(c.method()).append(' ').append(c.path()).append(" HTTP/1.1\r\n");
        if (!c.name().equals("host-missing-http11")) {
            head.append("Host: 127.0.0.1:").append(server.port()).append("\r\n");
        }
        for (String header : c.headers()) {
            head.append(header).append("\r\n");
        }
        boolean declares = c.headers().stream().anyMatch(h -> h.regionMatches(true, 0, "Content-Length:", 0, 15)
                || h.regionMatches(true, 0, "Transfer-Encoding:", 0, 18));
        if (c.body() != null && !declares) {
            head.append("Content-Length: ").append(c.body().length).append("\r\n");
        }
        head.append("Connection: close");
        return RawHttp.exchange(server.port(), head.toString(), c.body());
    }

    private synchronized void check(Case c, RawHttp.Response response) {
        requests++;
        if (response.status() < 0) {
            dropped++;
            return;
        }
        statuses.merge(response.status(), 1, Integer::sum);
        String what = c.name() + " " + c.method() + " " + abbreviate(c.path())
                + (c.body() == null ? "" : " body " + abbreviate(new String(c.body(), StandardCharsets.UTF_8)));
        if (unparseable(c)) {
            unparseable++;
            if (response.status() != 400) {
                violations.add(what + " is not an HTTP/1.1 message but answered " + response.status());
            }
        } else if (response.status() >= 500) {
            violations.add(what + " answered " + response.status() + ": " + abbreviate(response.body()));
        } else if (response.status() >= 400 && !c.method().equals("HEAD")) {
            String type = response.header("Content-Type");
            if (type == null || !type.startsWith("application/problem+json")) {
                violations.add(what + " answered " + response.status() + " as " + type + ": " + abbreviate(response.body()));
                return;
            }
            try {
                JsonNode problem = WsClient.JSON.readTree(response.body());
                if (problem.path("detail").asText().isBlank() || problem.path("status").asInt() != response.status()) {
                    violations.add(what + " answered a problem without a detail or with another status: " + abbreviate(response.body()));
                }
            } catch (Exception e) {
                violations.add(what + " answered " + response.status() + " with a body that is not JSON: " + abbreviate(response.body()));
            }
        }
    }

    /** RFC 9112 §3.2, §3.2.1, §6.3 and the parser's bound of 200 header lines: not a message a route can answer. */
    private static boolean unparseable(Case c) {
        boolean badLength = c.headers().stream().anyMatch(h -> h.regionMatches(true, 0, "Content-Length:", 0, 15)
                && !h.substring(15).strip().matches("[0-9]+"));
        return c.path().contains("#") || badLength || c.headers().size() >= 200 || c.name().equals("host-missing-http11");
    }

    private static Case json(String name, String method, String path, byte[] body) {
        return new Case(name, method, path, List.of(auth(), "Content-Type: application/json"), body);
    }

    private static Case get(String name, String path) {
        return new Case(name, "GET", path, List.of(auth()), null);
    }

    private static Case withHeaders(String name, String method, String path, String... headers) {
        return new Case(name, method, path, List.of(headers), null);
    }

    private static String auth() {
        return "Authorization: Bearer " + token;
    }

    private static byte[] chunked(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 1_000);
        for (int offset = 0; offset < body.length; offset += 65_536) {
            int length = Math.min(65_536, body.length - offset);
            out.writeBytes((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, offset, length);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    private static String abbreviate(String text) {
        return text.length() <= 160 ? text : text.substring(0, 160) + "…(" + text.length() + ")";
    }
}
