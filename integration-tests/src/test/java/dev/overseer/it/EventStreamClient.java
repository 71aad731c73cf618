package dev.overseer.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Server-Sent Events client over the JDK HttpClient (HTTP/1.1): a reader thread parses the stream into
 * events and comments as they arrive, so a test can read them one by one with a deadline, see the stream
 * end, or drop the connection mid-stream.
 */
public final class EventStreamClient implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** What the stream delivered: an event, a comment line, or its end. */
    public sealed interface Item {
    }

    /** One event: {@code id:}, {@code event:} and {@code data:} fields (data lines joined by newlines). */
    public record Event(String id, String event, String data) implements Item {
        public JsonNode json() {
            try {
                return WsClient.JSON.readTree(data);
            } catch (IOException e) {
                throw new AssertionError("event data is not JSON: " + data, e);
            }
        }

        public int seq() {
            return Integer.parseInt(id);
        }

        public boolean terminal() {
            return WsClient.isTerminal(json());
        }
    }

    /** A comment line ({@code : text}), without the colon and the one space after it. */
    public record Comment(String text) implements Item {
    }

    /** The server closed the stream (or the connection broke: {@code error} is then set). */
    public record End(IOException error) implements Item {
    }

    private final HttpResponse<InputStream> response;
    private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    private final StringBuilder raw = new StringBuilder();
    private volatile boolean closedByUs;

    private EventStreamClient(HttpResponse<InputStream> response) {
        this.response = response;
        Thread.ofVirtual().name("sse-reader").start(this::read);
    }

    /** Sends the request and returns as soon as the response headers arrived. */
    public static EventStreamClient open(HttpRequest request) {
        try {
            return new EventStreamClient(CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A request for {@code path} asking for an event stream, as {@code token}'s user. */
    static HttpRequest.Builder request(TestServer server, String token, String path) {
        return HttpRequest.newBuilder(server.http(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "text/event-stream");
    }

    public int status() {
        return response.statusCode();
    }

    public HttpHeaders headers() {
        return response.headers();
    }

    /** The whole body, for a response that is not a stream (a problem); waits for its end. */
    public String bodyText() {
        awaitEnd(DEFAULT_TIMEOUT);
        synchronized (raw) {
            return raw.toString();
        }
    }

    /** Every byte of the stream so far, as text. */
    public String rawText() {
        synchronized (raw) {
            return raw.toString();
        }
    }

    /** The next item, failing when none arrives within the timeout. */
    public Item next(Duration timeout) {
        try {
            Item item = items.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (item == null) {
                throw new AssertionError("nothing arrived on the event stream within " + timeout);
            }
            if (item instanceof End) {
                items.add(item);
            }
            return item;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next event, failing on a comment or the end of the stream. */
    public Event nextEvent(Duration timeout) {
        Item item = next(timeout);
        if (item instanceof Event event) {
            return event;
        }
        throw new AssertionError("expected an event, got " + item);
    }

    public Event nextEvent() {
        return nextEvent(DEFAULT_TIMEOUT);
    }

    /** Every event up to and including the terminal one; comments are skipped. */
    public List<Event> eventsUntilTerminal(Duration timeout) {
        List<Event> events = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Item item = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            switch (item) {
                case Event event -> {
                    events.add(event);
                    if (event.terminal()) {
                        return events;
                    }
                }
                case Comment comment -> {
                }
                case End end -> throw new AssertionError("the stream ended before a terminal event; got " + events,
                        end.error());
            }
        }
    }

    public List<Event> eventsUntilTerminal() {
        return eventsUntilTerminal(DEFAULT_TIMEOUT);
    }

    /** Asserts that the server ends the stream (cleanly) within the timeout, with nothing more on it. */
    public void awaitEnd(Duration timeout) {
        Item item = next(timeout);
        if (!(item instanceof End end)) {
            throw new AssertionError("expected the stream to end, got " + item);
        }
        if (end.error() != null) {
            throw new AssertionError("the stream broke instead of ending", end.error());
        }
    }

    /** Drops the connection, as a client that goes away mid-stream. */
    @Override
    public void close() {
        closedByUs = true;
        try {
            response.body().close();
        } catch (IOException e) {
            // already gone
        }
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (raw) {
                    raw.append(line).append('\n');
                }
                if (line.isEmpty()) {
                    if (data != null) {
                        items.add(new Event(id, event == null ? "message" : event, data.toString()));
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    items.add(new Comment(value(line.substring(1))));
                } else {
                    int colon = line.indexOf(':');
                    String field = colon < 0 ? line : line.substring(0, colon);
                    String value = colon < 0 ? "" : value(line.substring(colon + 1));
                    switch (field) {
                        case "id" -> id = value;
                        case "event" -> event = value;
                        case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                        default -> {
                            // SSE clients ignore other fields
                        }
                    }
                }
            }
            items.add(new End(null));
        } catch (IOException e) {
            items.add(new End(closedByUs ? null : e));
        }
    }

    private static String value(String afterColon) {
        return afterColon.startsWith(" ") ? afterColon.substring(1) : afterColon;
    }
}
