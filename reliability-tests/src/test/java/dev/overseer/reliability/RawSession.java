package dev.overseer.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.RawWebSocket;
import dev.overseer.it.TestServer;
import dev.overseer.it.WsClient;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link RawWebSocket} with a reader thread: text frames are parsed into a queue, and the close code (or -1
 * when the TCP connection ended without a close frame) completes {@link #closed()}. Frames that are not JSON are
 * counted, since every server frame must be a JSON object.
 */
final class RawSession implements AutoCloseable {
    private final RawWebSocket socket;
    private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private volatile int notJson;

    private RawSession(RawWebSocket socket) {
        this.socket = socket;
        Thread.ofVirtual().name("raw-session-reader").start(this::read);
    }

    static RawSession open(TestServer server, String token) {
        RawWebSocket socket;
        try {
            socket = RawWebSocket.connect(server, token);
        } catch (java.io.UncheckedIOException e) {
            ThreadDumps.write("upgrade-failed");
            throw e;
        }
        if (socket.status() != 101) {
            socket.close();
            throw new AssertionError("upgrade answered " + socket.status());
        }
        return new RawSession(socket);
    }

    RawWebSocket socket() {
        return socket;
    }

    void send(byte[] bytes) {
        socket.sendRaw(bytes);
    }

    void sendText(String text) {
        socket.sendRaw(WireFrames.text(text));
    }

    CompletableFuture<Integer> closed() {
        return closed;
    }

    int notJson() {
        return notJson;
    }

    JsonNode next(Duration timeout) {
        try {
            JsonNode frame = frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == null) {
                throw new AssertionError("no frame within " + timeout + (closed.isDone() ? " (closed " + closed.join() + ")" : ""));
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next frame of this type, handing the ones skipped to {@code skipped}. */
    JsonNode nextOfType(String type, Duration timeout, java.util.function.Consumer<JsonNode> skipped) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode frame = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (frame.path("type").asText().equals(type)) {
                return frame;
            }
            skipped.accept(frame);
        }
    }

    private void read() {
        try {
            while (true) {
                RawWebSocket.Frame frame;
                try {
                    frame = socket.read(Duration.ofSeconds(120));
                } catch (AssertionError timeout) {
                    continue;
                }
                if (frame == null) {
                    closed.complete(-1);
                    return;
                }
                if (frame.opcode() == RawWebSocket.CLOSE) {
                    closed.complete(frame.closeCode());
                    return;
                }
                if (frame.opcode() == RawWebSocket.TEXT) {
                    try {
                        frames.add(WsClient.JSON.readTree(frame.text()));
                    } catch (Exception e) {
                        notJson++;
                    }
                }
            }
        } catch (RuntimeException e) {
            closed.complete(-1);
        }
    }

    @Override
    public void close() {
        socket.close();
    }
}
