package dev.overseer.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Consumer;

/**
 * A WebSocket client on a plain socket that does the handshake itself and nothing else: it never answers a
 * ping, never sends anything it is not told to, and reads only when asked. For the clients the JDK's
 * WebSocket will not imitate: silent ones, and ones that stop reading. Every text frame and close code it reads must
 * be described by {@code /asyncapi.json} ({@link AsyncApiFrames}).
 */
public final class RawWebSocket implements AutoCloseable {
    public static final int TEXT = 0x1;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One frame from the server (servers never mask). */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame, or 1005 when it carries none. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final int status;

    private RawWebSocket(Socket socket, InputStream in, OutputStream out, int status) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.status = status;
    }

    /**
     * Sends the upgrade request with {@code Authorization: Bearer token} and reads the response head. With
     * {@code receiveBufferBytes > 0} the socket's receive buffer is made that small before connecting, so a
     * client that does not read fills up quickly.
     */
    public static RawWebSocket connect(TestServer server, String token, int receiveBufferBytes) {
        Socket socket = new Socket();
        try {
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            socket.setSoTimeout(10_000);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] key = new byte[16];
            RANDOM.nextBytes(key);
            String request = "GET /ws HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + server.port() + "\r\n"
                    + "Upgrade: websocket\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                    + "Sec-WebSocket-Version: 13\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
                    + "\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String head = readHead(in);
            int status = Integer.parseInt(head.split(" ", 3)[1]);
            return new RawWebSocket(socket, in, out, status);
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw new UncheckedIOException(e);
        }
    }

    public static RawWebSocket connect(TestServer server, String token) {
        return connect(server, token, 0);
    }

    /** The HTTP status of the upgrade response (101 when the socket is a WebSocket now). */
    public int status() {
        return status;
    }

    /** Sends one masked text frame. */
    public void sendText(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(0x80 | TEXT);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65_536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length);
        } else {
            frame.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        frame.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        try {
            out.write(frame.toByteArray());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes these bytes as they are, e.g. frames a test built itself, well-formed or not. */
    public void sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next frame, or null when the server closed the TCP connection; fails after the timeout. */
    public Frame read(Duration timeout) {
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            int first = in.read();
            if (first < 0) {
                return null;
            }
            int second = readByte();
            long length = second & 0x7f;
            if (length == 126) {
                length = (readByte() << 8) | readByte();
            } else if (length == 127) {
                length = 0;
                for (int i = 0; i < 8; i++) {
                    length = (length << 8) | readByte();
                }
            }
            byte[] payload = in.readNBytes((int) length);
            if (payload.length < length) {
                return null;
            }
            Frame frame = new Frame(first & 0x0f, payload);
            assertDocumented(frame, (first & 0x80) != 0);
            return frame;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within " + timeout, e);
        } catch (IOException e) {
            // A reset connection is as closed as one that ended cleanly.
            return null;
        }
    }

    /**
     * Reads (and discards) frames until the server's close frame or the end of the connection. Returns the
     * close frame, or null when the connection ended without one.
     */
    public Frame readUntilClosed(Duration timeout) {
        return readUntilClosed(timeout, frame -> { });
    }

    /** As {@link #readUntilClosed(Duration)}, handing every frame before the close frame to {@code received}. */
    public Frame readUntilClosed(Duration timeout, Consumer<Frame> received) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("the server did not close the connection within " + timeout);
            }
            Frame frame = read(Duration.ofNanos(left));
            if (frame == null || frame.opcode() == CLOSE) {
                return frame;
            }
            received.accept(frame);
        }
    }

    /** A whole text frame validates against the document's messages, a close frame's code is one it lists. */
    private static void assertDocumented(Frame frame, boolean fin) {
        if (frame.opcode() == TEXT && fin) {
            AsyncApiFrames.assertValidServerFrame(frame.text());
        } else if (frame.opcode() == CLOSE) {
            String reason = frame.payload().length > 2
                    ? new String(frame.payload(), 2, frame.payload().length - 2, StandardCharsets.UTF_8) : "";
            String violation = AsyncApiFrames.closeCodeViolation(frame.closeCode(), reason);
            if (violation != null) {
                throw new AssertionError(violation);
            }
        }
    }

    private int readByte() throws IOException {
        int value = in.read();
        if (value < 0) {
            throw new EOFException("the connection ended inside a frame");
        }
        return value;
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int value = in.read();
            if (value < 0) {
                throw new EOFException("the server ended the connection during the handshake: " + head);
            }
            head.write(value);
            matched = value == end[matched] ? matched + 1 : (value == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** Drops the TCP connection without a close frame. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
