package dev.overseer.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal RFC 6455 client connection on a {@link WsEventLoop}: the upgrade request, masked frames out,
 * unmasked frames in (text, continuation, ping, pong, close). Just enough for the benchmarks, and cheap:
 * frames reach the listener as bytes in the loop's buffer, never as strings. Loop thread only.
 */
final class WsConnection {
    /** Receives what happens on a connection, on the loop's thread. */
    interface Listener {
        /** The server accepted the upgrade. */
        void onOpen(WsConnection connection);

        /** A complete text message; the bytes are only valid during the call. */
        void onText(WsConnection connection, byte[] data, int offset, int length);

        /** The connection ended: a close frame's code, or -1 when it failed (refused upgrade, I/O error). */
        void onClosed(WsConnection connection, int code, String reason);
    }

    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};
    private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;
    private static final int OP_CONTINUATION = 0x0;
    private static final int OP_TEXT = 0x1;
    private static final int OP_CLOSE = 0x8;
    private static final int OP_PING = 0x9;
    private static final int OP_PONG = 0xA;

    private enum State { CONNECTING, HANDSHAKE, OPEN, CLOSING, CLOSED }

    private final WsEventLoop loop;
    private final Listener listener;
    private final byte[] upgradeRequest;
    private SocketChannel channel;
    private SelectionKey key;
    private State state = State.CONNECTING;
    private byte[] leftover;
    private ByteBuffer pendingWrite;
    private byte[] fragments;
    private int fragmentsLength;
    private boolean resetOnClose;

    private WsConnection(WsEventLoop loop, Listener listener, byte[] upgradeRequest) {
        this.loop = loop;
        this.listener = listener;
        this.upgradeRequest = upgradeRequest;
    }

    /** Starts connecting on the loop; the listener hears {@code onOpen} or {@code onClosed(-1)}. */
    static WsConnection open(WsEventLoop loop, InetSocketAddress address, String path, Map<String, String> headers,
            Listener listener) {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        StringBuilder request = new StringBuilder(512)
                .append("GET ").append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(address.getHostString()).append(':').append(address.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(nonce)).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("\r\n");
        WsConnection connection = new WsConnection(loop, listener,
                request.toString().getBytes(StandardCharsets.ISO_8859_1));
        loop.execute(() -> connection.connect(address));
        return connection;
    }

    WsEventLoop loop() {
        return loop;
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    private void connect(InetSocketAddress address) {
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (channel.connect(address)) {
                key = channel.register(loop.selector(), 0, this);
                connected();
            } else {
                key = channel.register(loop.selector(), SelectionKey.OP_CONNECT, this);
            }
        } catch (IOException | RuntimeException e) {
            fail("connect: " + e);
        }
    }

    private void connected() throws IOException {
        state = State.HANDSHAKE;
        key.interestOps(SelectionKey.OP_READ);
        write(ByteBuffer.wrap(upgradeRequest));
    }

    /** Called by the loop when the channel is ready. */
    void onReady(SelectionKey ready) {
        try {
            if (!ready.isValid()) {
                return;
            }
            if (ready.isConnectable()) {
                channel.finishConnect();
                connected();
                return;
            }
            if (ready.isWritable()) {
                flush();
            }
            if (ready.isValid() && ready.isReadable()) {
                read();
            }
        } catch (IOException | RuntimeException e) {
            fail(e.toString());
        }
    }

    /** Sends a text message (UTF-8 bytes). Frames sent on a connection that is not open are dropped. */
    void sendText(byte[] utf8) {
        sendFrame(OP_TEXT, utf8, 0, utf8.length);
    }

    /** Starts the closing handshake; the listener hears {@code onClosed} when the server answers. */
    void close(int code) {
        if (state != State.OPEN) {
            return;
        }
        byte[] payload = {(byte) (code >>> 8), (byte) code};
        sendFrame(OP_CLOSE, payload, 0, 2);
        state = State.CLOSING;
    }

    /** Drops the connection at once; with {@code reset} the socket is reset, which leaves no TIME_WAIT behind. */
    void abort(boolean reset) {
        resetOnClose = reset;
        closeChannel(1006, "aborted by the client");
    }

    private void sendFrame(int opcode, byte[] payload, int offset, int length) {
        if (state != State.OPEN) {
            return;
        }
        ByteBuffer out = loop.writeBuffer;
        out.clear();
        int headerLength = 2 + (length < 126 ? 0 : length < 65_536 ? 2 : 8) + 4;
        if (headerLength + length > out.capacity()) {
            out = ByteBuffer.allocate(headerLength + length);
        }
        out.put((byte) (0x80 | opcode));
        if (length < 126) {
            out.put((byte) (0x80 | length));
        } else if (length < 65_536) {
            out.put((byte) (0x80 | 126)).putShort((short) length);
        } else {
            out.put((byte) (0x80 | 127)).putLong(length);
        }
        int mask = loop.nextMask();
        out.putInt(mask);
        byte[] maskBytes = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        for (int i = 0; i < length; i++) {
            out.put((byte) (payload[offset + i] ^ maskBytes[i & 3]));
        }
        out.flip();
        try {
            write(out);
        } catch (IOException e) {
            fail("write: " + e);
        }
    }

    private void write(ByteBuffer data) throws IOException {
        if (pendingWrite != null) {
            ByteBuffer grown = ByteBuffer.allocate(pendingWrite.remaining() + data.remaining());
            grown.put(pendingWrite).put(data).flip();
            pendingWrite = grown;
            return;
        }
        channel.write(data);
        if (data.hasRemaining()) {
            pendingWrite = ByteBuffer.allocate(data.remaining()).put(data).flip();
            key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
        }
    }

    private void flush() throws IOException {
        if (pendingWrite == null) {
            key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
            return;
        }
        channel.write(pendingWrite);
        if (!pendingWrite.hasRemaining()) {
            pendingWrite = null;
            key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
        }
    }

    private void read() throws IOException {
        ByteBuffer in = loop.readBuffer;
        if (leftover != null && leftover.length > in.capacity() / 2) {
            in = ByteBuffer.allocate(leftover.length + in.capacity());
        }
        in.clear();
        if (leftover != null) {
            in.put(leftover);
            leftover = null;
        }
        int read = channel.read(in);
        if (read < 0) {
            closeChannel(1006, "the server closed the socket");
            return;
        }
        in.flip();
        byte[] data = in.array();
        int position = 0;
        int limit = in.limit();
        if (state == State.HANDSHAKE) {
            int end = indexOf(data, 0, limit, HEADER_END);
            if (end < 0) {
                if (limit > MAX_HANDSHAKE_BYTES) {
                    fail("the upgrade response is too long");
                } else {
                    leftover = Arrays.copyOf(data, limit);
                }
                return;
            }
            int lineEnd = indexOf(data, 0, end + 2, new byte[] {'\r', '\n'});
            String statusLine = new String(data, 0, lineEnd, StandardCharsets.ISO_8859_1);
            if (!statusLine.startsWith("HTTP/1.1 101")) {
                fail("upgrade refused: " + statusLine);
                return;
            }
            state = State.OPEN;
            position = end + HEADER_END.length;
            listener.onOpen(this);
        }
        while (state == State.OPEN || state == State.CLOSING) {
            int available = limit - position;
            if (available < 2) {
                break;
            }
            int b0 = data[position] & 0xff;
            int b1 = data[position + 1] & 0xff;
            int header = 2;
            long length = b1 & 0x7f;
            if (length == 126) {
                if (available < 4) {
                    break;
                }
                length = ((data[position + 2] & 0xff) << 8) | (data[position + 3] & 0xff);
                header = 4;
            } else if (length == 127) {
                if (available < 10) {
                    break;
                }
                length = 0;
                for (int i = 2; i < 10; i++) {
                    length = (length << 8) | (data[position + i] & 0xff);
                }
                header = 10;
            }
            boolean masked = (b1 & 0x80) != 0;
            if (masked) {
                header += 4;
            }
            if (length > Integer.MAX_VALUE - 64) {
                fail("a frame of " + length + " bytes");
                return;
            }
            if (available < header + length) {
                break;
            }
            int payload = position + header;
            if (masked) {
                for (int i = 0; i < length; i++) {
                    data[payload + i] ^= data[position + header - 4 + (i & 3)];
                }
            }
            position = payload + (int) length;
            frame(b0, data, payload, (int) length);
        }
        if (position < limit && state != State.CLOSED) {
            leftover = Arrays.copyOfRange(data, position, limit);
        }
    }

    private void frame(int b0, byte[] data, int offset, int length) {
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0f;
        switch (opcode) {
            case OP_TEXT -> {
                if (fin) {
                    listener.onText(this, data, offset, length);
                } else {
                    fragmentsLength = 0;
                    appendFragment(data, offset, length);
                }
            }
            case OP_CONTINUATION -> {
                appendFragment(data, offset, length);
                if (fin && fragments != null) {
                    byte[] message = fragments;
                    int messageLength = fragmentsLength;
                    fragments = null;
                    fragmentsLength = 0;
                    listener.onText(this, message, 0, messageLength);
                }
            }
            case OP_PING -> sendFrame(OP_PONG, data, offset, length);
            case OP_PONG -> {
            }
            case OP_CLOSE -> {
                int code = length >= 2 ? ((data[offset] & 0xff) << 8) | (data[offset + 1] & 0xff) : 1005;
                String reason = length > 2 ? new String(data, offset + 2, length - 2, StandardCharsets.UTF_8) : "";
                if (state == State.OPEN) {
                    sendFrame(OP_CLOSE, data, offset, Math.min(length, 2));
                }
                closeChannel(code, reason);
            }
            default -> {
                // binary frames are not expected from either server; they are ignored
            }
        }
    }

    private void appendFragment(byte[] data, int offset, int length) {
        if (fragments == null) {
            fragments = new byte[Math.max(1_024, length)];
        } else if (fragmentsLength + length > fragments.length) {
            fragments = Arrays.copyOf(fragments, Math.max(fragments.length * 2, fragmentsLength + length));
        }
        System.arraycopy(data, offset, fragments, fragmentsLength, length);
        fragmentsLength += length;
    }

    private void fail(String reason) {
        closeChannel(-1, reason);
    }

    private void closeChannel(int code, String reason) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        leftover = null;
        pendingWrite = null;
        try {
            if (channel != null) {
                if (resetOnClose && channel.isOpen()) {
                    channel.setOption(StandardSocketOptions.SO_LINGER, 0);
                }
                channel.close();
            }
        } catch (IOException e) {
            // the connection is gone either way
        }
        listener.onClosed(this, code, reason);
    }

    private static int indexOf(byte[] data, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
