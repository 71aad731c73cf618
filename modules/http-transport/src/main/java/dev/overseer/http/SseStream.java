package dev.overseer.http;

import dev.overseer.context.RunId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.event.RunEventListener;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.supervisor.RunService;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Streams one run's events as Server-Sent Events ({@code id:} seq, {@code event:} type, {@code data:} the
 * event JSON) on the request's own virtual thread: the run's thread only queues, this thread writes.
 * A comment line keeps idle streams open through proxies; the stream ends after the terminal event.
 */
final class SseStream {
    /** Events a slow reader may have queued before its stream is ended (it reconnects with Last-Event-ID). */
    static final int MAX_QUEUED_EVENTS = 20_000;
    private static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);
    private static final HttpString ACCEL_BUFFERING = HttpString.tryFromString("X-Accel-Buffering");

    private final RunService runs;
    private final Duration keepAlive;

    SseStream(RunService runs, Duration keepAlive) {
        this.runs = runs;
        this.keepAlive = keepAlive;
    }

    /** Streams; a run that is not the user's throws before anything is written (so it can still be a 404). */
    void serve(HttpServerExchange exchange, UserId user, RunId run, int afterSeq) {
        BlockingQueue<RunEvent> queue = new LinkedBlockingQueue<>(MAX_QUEUED_EVENTS);
        AtomicBoolean overflowed = new AtomicBoolean();
        RunEventListener listener = event -> {
            if (!queue.offer(event)) {
                overflowed.set(true);
            }
        };
        Optional<ActiveRun> live = runs.follow(user, run, afterSeq, listener);
        try {
            exchange.setStatusCode(200);
            exchange.getResponseHeaders()
                    .put(Headers.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                    .put(Headers.CACHE_CONTROL, "no-cache")
                    .put(ACCEL_BUFFERING, "no");
            exchange.startBlocking();
            OutputStream out = exchange.getOutputStream();
            out.flush();
            while (true) {
                // Without a live run the replay is already queued in full: nothing more will come.
                RunEvent event = live.isEmpty() ? queue.poll() : queue.poll(keepAlive.toMillis(), TimeUnit.MILLISECONDS);
                if (event == null) {
                    if (overflowed.get() || live.isEmpty()) {
                        return;
                    }
                    out.write(KEEP_ALIVE);
                    out.flush();
                    continue;
                }
                out.write(frame(event));
                if (event.terminal() || overflowed.get()) {
                    out.flush();
                    return;
                }
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            // the client went away; the run goes on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            live.ifPresent(active -> active.unsubscribe(listener));
            exchange.endExchange();
        }
    }

    static byte[] frame(RunEvent event) {
        return ("id: " + event.seq() + "\nevent: " + event.type() + "\ndata: " + event.json() + "\n\n")
                .getBytes(StandardCharsets.UTF_8);
    }
}
