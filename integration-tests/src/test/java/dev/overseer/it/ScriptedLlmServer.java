package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A real OpenAI-compatible Chat Completions endpoint on loopback that answers from a script. Every
 * {@code POST /v1/chat/completions} takes the next scripted {@link Reply} (or asks the responder when the
 * script is empty) and is recorded with its headers and parsed JSON body; what became of each answer
 * (written to the end, or cut off by the client closing the connection) is recorded too.
 */
final class ScriptedLlmServer implements AutoCloseable {
    static final String PATH = "/v1/chat/completions";
    private static final Duration NEVER_ANSWER_LIMIT = Duration.ofSeconds(60);

    /** What the endpoint does with one request. */
    sealed interface Reply permits Stream, Status, NeverAnswer, SlowStream {
    }

    /** A 200 event stream: each chunk is written and flushed after its delay. */
    record Stream(List<Chunk> chunks) implements Reply {
        Stream {
            chunks = List.copyOf(chunks);
        }
    }

    /** One piece of an event stream, written {@code delay} after the previous one. */
    record Chunk(String text, Duration delay) {
    }

    /** A plain HTTP answer, e.g. a 429 with {@code Retry-After} or a 400 with an OpenAI error body. */
    record Status(int status, Map<String, String> headers, String body) implements Reply {
        Status {
            headers = Map.copyOf(headers);
        }
    }

    /** Reads the request and never sends a status line (until the server is reset or closed). */
    record NeverAnswer() implements Reply {
    }

    /** A 200 event stream that sends {@code piece} as a content delta every {@code interval}, up to {@code max} times. */
    record SlowStream(String piece, Duration interval, int max) implements Reply {
    }

    /** How a reply ended. */
    enum Outcome {
        /** The whole reply was written. */
        COMPLETED,
        /** A write failed: the client had closed the connection. */
        CLIENT_CLOSED,
        /** The reply was never sent. */
        NOT_ANSWERED
    }

    /** One request as the endpoint received it. */
    record RecordedRequest(int number, String method, String path, Map<String, List<String>> headers, JsonNode body,
            long receivedNanos, CompletableFuture<Outcome> outcome) {
        /** The first value of a header, by case-insensitive name, or null. */
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        ArrayNode messages() {
            return (ArrayNode) body.path("messages");
        }

        /** The names of the tools offered, in the order sent. */
        List<String> toolNames() {
            List<String> names = new ArrayList<>();
            body.path("tools").forEach(tool -> names.add(tool.path("function").path("name").asText()));
            return names;
        }

        /** The tool offered under this name, or a missing node. */
        JsonNode tool(String name) {
            for (JsonNode tool : body.path("tools")) {
                if (tool.path("function").path("name").asText().equals(name)) {
                    return tool;
                }
            }
            return WsClient.JSON.missingNode();
        }

        /** The messages with this role, in order. */
        List<JsonNode> messages(String role) {
            List<JsonNode> found = new ArrayList<>();
            body.path("messages").forEach(message -> {
                if (message.path("role").asText().equals(role)) {
                    found.add(message);
                }
            });
            return found;
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(Thread.ofPlatform()
            .name("scripted-llm-", 0).daemon().factory());
    private final Deque<Reply> script = new ArrayDeque<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private Function<RecordedRequest, Reply> responder;
    private CountDownLatch release = new CountDownLatch(1);
    private int unscripted;

    private ScriptedLlmServer(HttpServer server) {
        this.server = server;
    }

    /** Starts the endpoint on a free loopback port. */
    static ScriptedLlmServer start() {
        try {
            HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            ScriptedLlmServer scripted = new ScriptedLlmServer(http);
            http.createContext("/", scripted::handle);
            http.setExecutor(scripted.executor);
            http.start();
            return scripted;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The base URL to configure as {@code OVERSEER_LLM_BASE_URL}. */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Appends replies to the script; each request takes the next one. */
    synchronized ScriptedLlmServer script(Reply... replies) {
        script.addAll(List.of(replies));
        return this;
    }

    /** Answers requests the script has no reply for (instead of a 500 "script exhausted"). */
    synchronized ScriptedLlmServer respondWith(Function<RecordedRequest, Reply> responder) {
        this.responder = responder;
        return this;
    }

    /** Forgets the script, the responder and the recorded requests, and lets never-answering handlers go. */
    synchronized void reset() {
        script.clear();
        requests.clear();
        responder = null;
        unscripted = 0;
        release.countDown();
        release = new CountDownLatch(1);
    }

    /** Every request so far, in arrival order. */
    synchronized List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    synchronized RecordedRequest request(int index) {
        return requests.get(index);
    }

    /** Requests that found neither a scripted reply nor a responder. */
    /** Every request had a scripted reply, and every scripted reply was asked for. */
    void assertScriptUsedUp() {
        assertThat(unscripted()).as("requests the script had no reply for").isZero();
        assertThat(pending()).as("scripted replies never asked for").isZero();
    }

    synchronized int unscripted() {
        return unscripted;
    }

    /** Scripted replies not yet taken. */
    synchronized int pending() {
        return script.size();
    }

    private void handle(HttpExchange exchange) {
        try {
            byte[] raw = exchange.getRequestBody().readAllBytes();
            JsonNode body;
            try {
                body = WsClient.JSON.readTree(raw);
            } catch (IOException e) {
                body = WsClient.JSON.missingNode();
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                    List.copyOf(values)));
            RecordedRequest request;
            Reply reply;
            CountDownLatch neverAnswerRelease;
            synchronized (this) {
                request = new RecordedRequest(requests.size() + 1, exchange.getRequestMethod(),
                        exchange.getRequestURI().getPath(), Map.copyOf(headers), body, System.nanoTime(),
                        new CompletableFuture<>());
                requests.add(request);
                neverAnswerRelease = release;
                if (!exchange.getRequestMethod().equals("POST") || !request.path().equals(PATH)) {
                    reply = error(404, "no route " + exchange.getRequestMethod() + " " + request.path());
                } else if (!script.isEmpty()) {
                    reply = script.poll();
                } else if (responder != null) {
                    reply = null;
                } else {
                    unscripted++;
                    reply = error(500, "the script has no reply left for request " + request.number());
                }
            }
            if (reply == null) {
                reply = responder.apply(request);
            }
            request.outcome().complete(answer(exchange, reply, neverAnswerRelease));
        } catch (IOException e) {
            // the request could not even be read: nothing to record
        } finally {
            exchange.close();
        }
    }

    private Outcome answer(HttpExchange exchange, Reply reply, CountDownLatch neverAnswerRelease) {
        try {
            switch (reply) {
                case Status status -> {
                    byte[] bytes = status.body().getBytes(StandardCharsets.UTF_8);
                    status.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(status.status(), bytes.length == 0 ? -1 : bytes.length);
                    if (bytes.length > 0) {
                        exchange.getResponseBody().write(bytes);
                    }
                    return Outcome.COMPLETED;
                }
                case NeverAnswer never -> {
                    neverAnswerRelease.await(NEVER_ANSWER_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
                    return Outcome.NOT_ANSWERED;
                }
                case Stream stream -> {
                    OutputStream out = startStream(exchange);
                    for (Chunk chunk : stream.chunks()) {
                        sleep(chunk.delay());
                        write(out, chunk.text());
                    }
                    return Outcome.COMPLETED;
                }
                case SlowStream slow -> {
                    OutputStream out = startStream(exchange);
                    for (int i = 0; i < slow.max(); i++) {
                        write(out, Sse.contentLine(slow.piece()));
                        sleep(slow.interval());
                    }
                    write(out, Sse.DONE);
                    return Outcome.COMPLETED;
                }
            }
        } catch (IOException e) {
            return Outcome.CLIENT_CLOSED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.NOT_ANSWERED;
        }
    }

    private static OutputStream startStream(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.getResponseHeaders().add("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        return exchange.getResponseBody();
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sleep(Duration delay) throws InterruptedException {
        if (!delay.isZero()) {
            Thread.sleep(delay);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            release.countDown();
        }
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- replies -------------------------------------------------------------------------------------

    /** A status answer with an OpenAI-shaped error body. */
    static Status error(int status, String message) {
        return new Status(status, Map.of(), errorBody(message));
    }

    static Status status(int status, Map<String, String> headers, String body) {
        return new Status(status, headers, body);
    }

    static String errorBody(String message) {
        ObjectNode body = WsClient.JSON.createObjectNode();
        body.putObject("error").put("message", message).put("type", "invalid_request_error").putNull("code");
        return body.toString();
    }

    static NeverAnswer neverAnswer() {
        return new NeverAnswer();
    }

    static SlowStream slowStream(String piece, Duration interval) {
        return new SlowStream(piece, interval, 400);
    }

    /** A streamed plain answer: each piece a content delta, then the finish reason, usage and [DONE]. */
    static Stream answer(long promptTokens, long completionTokens, String... pieces) {
        Sse sse = stream();
        for (String piece : pieces) {
            sse.content(piece);
        }
        return sse.finish("stop").usage(promptTokens, completionTokens).done();
    }

    static Sse stream() {
        return new Sse();
    }

    /** Builds an event stream the way OpenAI sends one: {@code data: {chunk}} lines, ending in {@code data: [DONE]}. */
    static final class Sse {
        static final String DONE = "data: [DONE]\n\n";
        private final List<Chunk> chunks = new ArrayList<>();
        private Duration pause = Duration.ZERO;

        /** The next chunk is written this long after the previous one. */
        Sse pause(Duration delay) {
            pause = delay;
            return this;
        }

        Sse content(String text) {
            ObjectNode delta = WsClient.JSON.createObjectNode().put("content", text);
            return add(chunk(delta, null).toString());
        }

        /** The first fragment of a tool call: its index, id, function name and the start of its arguments. */
        Sse toolCall(int index, String id, String name, String arguments) {
            ObjectNode delta = WsClient.JSON.createObjectNode();
            ObjectNode call = delta.putArray("tool_calls").addObject().put("index", index).put("id", id)
                    .put("type", "function");
            call.putObject("function").put("name", name).put("arguments", arguments);
            return add(chunk(delta, null).toString());
        }

        /** A later fragment of a tool call's arguments. */
        Sse toolArguments(int index, String fragment) {
            ObjectNode delta = WsClient.JSON.createObjectNode();
            delta.putArray("tool_calls").addObject().put("index", index).putObject("function")
                    .put("arguments", fragment);
            return add(chunk(delta, null).toString());
        }

        Sse finish(String reason) {
            return add(chunk(WsClient.JSON.createObjectNode(), reason).toString());
        }

        /** The final usage chunk that {@code stream_options.include_usage} asks for (no choices). */
        Sse usage(long promptTokens, long completionTokens) {
            ObjectNode chunk = base();
            chunk.putArray("choices");
            chunk.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
            return add(chunk.toString());
        }

        /** A {@code data:} line with any text, e.g. a malformed chunk. */
        Sse data(String text) {
            return add(text);
        }

        /** Raw text, written as is. */
        Sse raw(String text) {
            chunks.add(new Chunk(text, pause));
            pause = Duration.ZERO;
            return this;
        }

        Stream done() {
            raw(DONE);
            return build();
        }

        /** The stream as it is, without {@code [DONE]}. */
        Stream build() {
            return new Stream(chunks);
        }

        static String contentLine(String text) {
            return "data: " + chunk(WsClient.JSON.createObjectNode().put("content", text), null) + "\n\n";
        }

        private Sse add(String json) {
            return raw("data: " + json + "\n\n");
        }

        private static ObjectNode base() {
            return WsClient.JSON.createObjectNode().put("id", "chatcmpl-test").put("object", "chat.completion.chunk")
                    .put("created", 1_700_000_000L).put("model", "test-model");
        }

        /** A choice chunk; with {@code include_usage} OpenAI sends {@code "usage": null} in every chunk but the last. */
        private static ObjectNode chunk(ObjectNode delta, String finishReason) {
            ObjectNode chunk = base();
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            choice.set("delta", delta);
            choice.put("finish_reason", finishReason);
            chunk.putNull("usage");
            return chunk;
        }
    }
}
