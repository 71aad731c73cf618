package dev.overseer.http;

import io.undertow.conduits.ChunkedStreamSourceConduit;
import io.undertow.conduits.ReadDataStreamSourceConduit;
import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.protocol.http.HttpServerConnection;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.PushBackStreamSourceConduit;

/**
 * Reads a request's body on the action's virtual thread, within the body limit and the read deadline
 * ({@code OVERSEER_HTTP_READ_TIMEOUT_SECONDS}, counted from when the action starts reading it). Each way a body can
 * fail is a problem sent on a connection that is still open (ADR 0018): too large (413), too slow (408),
 * malformed chunked encoding (400).
 */
final class RequestBody {
    private final long deadlineNanos;
    private final HttpServerExchange exchange;
    private boolean malformed;

    private RequestBody(HttpServerExchange exchange, long deadlineNanos) {
        this.exchange = exchange;
        this.deadlineNanos = deadlineNanos;
    }

    /** The body, at most {@link HttpTransport#MAX_BODY_BYTES}, read before {@code deadlineNanos} ({@link System#nanoTime}). */
    static byte[] read(HttpServerExchange exchange, long deadlineNanos) throws ApiProblem {
        return new RequestBody(exchange, deadlineNanos).read();
    }

    private byte[] read() throws ApiProblem {
        long declared = exchange.getRequestContentLength();
        if (declared > HttpTransport.MAX_ENTITY_BYTES) {
            exchange.setPersistent(false);
            throw tooLarge();
        }
        boolean chunked = isChunked();
        if (chunked) {
            decodeChunksWithoutClosing();
        }
        StreamSourceChannel channel = exchange.getRequestChannel();
        ByteArrayOutputStream body = new ByteArrayOutputStream(declared > 0 ? (int) Math.min(declared, 65_536) : 512);
        ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        // A chunked body over the limit is refused at once; a declared one is read to its end first (up to the
        // swallow allowance), so that a client still sending it can read the answer.
        long allowance = chunked ? HttpTransport.MAX_BODY_BYTES : HttpTransport.MAX_BODY_BYTES + HttpTransport.MAX_SWALLOWED_BYTES;
        long seen = 0;
        try {
            while (true) {
                buffer.clear();
                int read = channel.read(buffer);
                if (read == -1) {
                    break;
                }
                if (read == 0) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        exchange.setPersistent(false);
                        throw new ApiProblem(408, "request_timeout", "the request body did not arrive within "
                                + "OVERSEER_HTTP_READ_TIMEOUT_SECONDS of the request");
                    }
                    channel.awaitReadable(left, TimeUnit.NANOSECONDS);
                    continue;
                }
                seen += read;
                if (seen <= HttpTransport.MAX_BODY_BYTES) {
                    body.write(buffer.array(), 0, read);
                } else if (seen > allowance) {
                    exchange.setPersistent(false);
                    throw tooLarge();
                }
            }
        } catch (RequestTooBigException e) {
            exchange.setPersistent(false);
            throw tooLarge();
        } catch (IOException e) {
            exchange.setPersistent(false);
            throw ApiProblem.badRequest(malformed ? "the chunked transfer coding of the body is malformed"
                    : "the body could not be read");
        }
        if (seen > HttpTransport.MAX_BODY_BYTES) {
            throw tooLarge();
        }
        return body.toByteArray();
    }

    private boolean isChunked() {
        String encoding = exchange.getRequestHeaders().getLast(Headers.TRANSFER_ENCODING);
        return encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /**
     * Undertow's chunk decoder closes the connection when the chunked syntax is wrong, so no answer could be sent.
     * Nothing of the body has been read yet: the same decoder is put in its place over the connection's
     * unread bytes, told to record the failure instead. What it reads beyond the body is not handed back to
     * the connection, so the connection closes after this response.
     */
    private void decodeChunksWithoutClosing() {
        if (!(exchange.getConnection() instanceof HttpServerConnection connection)) {
            return;
        }
        ConduitStreamSourceChannel source = connection.getChannel().getSourceChannel();
        PushBackStreamSourceConduit unread = new PushBackStreamSourceConduit(
                new ReadDataStreamSourceConduit(connection.getOriginalSourceConduit(), connection));
        source.setConduit(new ChunkedStreamSourceConduit(unread, unread, connection.getByteBufferPool(),
                finished -> Connectors.terminateRequest(exchange), exchange,
                () -> malformed = true));
        exchange.setPersistent(false);
    }

    private static ApiProblem tooLarge() {
        return new ApiProblem(413, "body_too_large", "the body is larger than " + HttpTransport.MAX_BODY_BYTES
                + " bytes");
    }

}
