package dev.overseer.ws;

import io.undertow.connector.PooledByteBuffer;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.StreamSourceFrameChannel;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.jsr.UndertowSession;
import jakarta.websocket.CloseReason;
import java.io.IOException;
import java.io.UnsupportedEncodingException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelListener;
import org.xnio.IoUtils;

/**
 * Reads the client's frames off one connection in place of the JSR layer's reader (ADR 0016), which counts a
 * message's size only while the first network read lasts and never looks at a frame's declared length. Here a
 * text message over the limit closes with 1009 at the frame header that takes it over, fragments included,
 * before its payload is read; at most the limit is ever held for one message. A binary frame closes with 1003
 * at its header, text that is not UTF-8 with 1007 (RFC 6455 §8.1). Whole text messages go to the session's
 * ordered executor, never run on the I/O thread.
 */
final class InboundFrames extends AbstractReceiveListener {
    private static final Logger LOG = LoggerFactory.getLogger(InboundFrames.class);
    /** RFC 6455 §5.5: a control frame carries at most 125 bytes. */
    private static final long MAX_CONTROL_PAYLOAD = 125;
    static final int TOO_BIG = CloseReason.CloseCodes.TOO_BIG.getCode();
    static final int CANNOT_ACCEPT = CloseReason.CloseCodes.CANNOT_ACCEPT.getCode();
    static final int NOT_CONSISTENT = CloseReason.CloseCodes.NOT_CONSISTENT.getCode();

    private final UndertowSession session;
    private final int maxMessageBytes;
    private final Consumer<String> onText;
    private final Runnable onPong;
    private final Executor executor;

    InboundFrames(UndertowSession session, int maxMessageBytes, Consumer<String> onText, Runnable onPong) {
        this.session = session;
        this.maxMessageBytes = maxMessageBytes;
        this.onText = onText;
        this.onPong = onPong;
        this.executor = session.getExecutor();
    }

    @Override
    protected void onText(WebSocketChannel channel, StreamSourceFrameChannel frame) {
        if (!session.isOpen()) {
            IoUtils.safeClose(frame);
            return;
        }
        new TextMessage(channel, frame).start();
    }

    @Override
    protected void onBinary(WebSocketChannel channel, StreamSourceFrameChannel frame) {
        fail(channel, CANNOT_ACCEPT, "binary frames are not accepted");
    }

    @Override
    protected void onFullPongMessage(WebSocketChannel channel, BufferedBinaryMessage message) {
        message.getData().free();
        onPong.run();
    }

    /** Echoes the client's close frame at once, then closes the session, as the JSR layer's reader does. */
    @Override
    protected void onFullCloseMessage(WebSocketChannel channel, BufferedBinaryMessage message) {
        var data = message.getData();
        ByteBuffer payload = single(data.getResource());
        if (!session.isOpen()) {
            data.free();
            return;
        }
        WebSockets.sendClose(payload.duplicate(), channel, null);
        CloseReason reason = payload.remaining() >= 2
                ? new CloseReason(CloseReason.CloseCodes.getCloseCode(payload.order(ByteOrder.BIG_ENDIAN).getShort()),
                        StandardCharsets.UTF_8.decode(payload).toString())
                : new CloseReason(CloseReason.CloseCodes.NO_STATUS_CODE, null);
        data.free();
        executor.execute(() -> {
            try {
                session.closeInternal(reason);
            } catch (IOException e) {
                LOG.debug("closing session {} failed", session.getId(), e);
            }
        });
    }

    @Override
    protected void onError(WebSocketChannel channel, Throwable error) {
        LOG.debug("reading from session {} failed", session.getId(), error);
        session.forceClose();
    }

    @Override
    protected long getMaxPingBufferSize() {
        return MAX_CONTROL_PAYLOAD;
    }

    @Override
    protected long getMaxPongBufferSize() {
        return MAX_CONTROL_PAYLOAD;
    }

    @Override
    protected long getMaxCloseBufferSize() {
        return MAX_CONTROL_PAYLOAD;
    }

    /** Stops reading, sends a close frame with this code and closes the connection once it is written. */
    private static void fail(WebSocketChannel channel, int code, String reason) {
        channel.suspendReceives();
        if (channel.isCloseFrameSent()) {
            IoUtils.safeClose(channel);
            return;
        }
        WebSockets.sendClose(new CloseMessage(code, reason), channel, new WebSocketCallback<Void>() {
            @Override
            public void complete(WebSocketChannel closing, Void context) {
                IoUtils.safeClose(closing);
            }

            @Override
            public void onError(WebSocketChannel closing, Void context, Throwable throwable) {
                IoUtils.safeClose(closing);
            }
        });
    }

    private static ByteBuffer single(ByteBuffer[] buffers) {
        if (buffers.length == 1) {
            return buffers[0];
        }
        int size = 0;
        for (ByteBuffer buffer : buffers) {
            size += buffer.remaining();
        }
        ByteBuffer joined = ByteBuffer.allocate(size);
        for (ByteBuffer buffer : buffers) {
            joined.put(buffer);
        }
        return joined.flip();
    }

    /**
     * One text message, its fragments included, read as its bytes arrive. Undertow adds up the lengths its frame
     * headers declare against the stream's maximum size and closes the frame channel as soon as they pass it: a
     * close that comes while this is not reading is that, and answered with 1009.
     */
    private final class TextMessage implements ChannelListener<StreamSourceFrameChannel> {
        private final WebSocketChannel channel;
        private final StreamSourceFrameChannel frame;
        private byte[] bytes = new byte[256];
        private int size;
        private boolean reading;
        private boolean over;

        TextMessage(WebSocketChannel channel, StreamSourceFrameChannel frame) {
            this.channel = channel;
            this.frame = frame;
        }

        void start() {
            frame.getCloseSetter().set(closed -> {
                if (!reading && !over) {
                    tooLarge();
                }
            });
            frame.setMaxStreamSize(maxMessageBytes);
            if (over) {
                return;
            }
            frame.getReadSetter().set(this);
            handleEvent(frame);
        }

        @Override
        public void handleEvent(StreamSourceFrameChannel source) {
            if (over) {
                // Undertow calls a frame's reader for as long as its reads are resumed and payload is buffered:
                // one that has given up must stop them, or the I/O thread calls it forever.
                source.suspendReads();
                return;
            }
            PooledByteBuffer pooled = channel.getBufferPool().allocate();
            try {
                ByteBuffer buffer = pooled.getBuffer();
                while (true) {
                    buffer.clear();
                    int read;
                    reading = true;
                    try {
                        read = source.read(buffer);
                    } finally {
                        reading = false;
                    }
                    if (read > 0) {
                        if ((long) size + read > maxMessageBytes) {
                            tooLarge();
                            return;
                        }
                        append(buffer.flip());
                    } else if (read == 0) {
                        source.resumeReads();
                        return;
                    } else {
                        over = true;
                        String text = new String(bytes, 0, size, StandardCharsets.UTF_8);
                        bytes = null;
                        executor.execute(() -> onText.accept(text));
                        return;
                    }
                }
            } catch (UnsupportedEncodingException e) {
                over = true;
                bytes = null;
                IoUtils.safeClose(frame);
                fail(channel, NOT_CONSISTENT, "text frames must be UTF-8");
            } catch (IOException e) {
                over = true;
                onError(channel, e);
            } finally {
                pooled.close();
            }
        }

        private void append(ByteBuffer buffer) {
            int length = buffer.remaining();
            if (size + length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(maxMessageBytes, Math.max(size + length, bytes.length * 2)));
            }
            buffer.get(bytes, size, length);
            size += length;
        }

        private void tooLarge() {
            over = true;
            bytes = null;
            IoUtils.safeClose(frame);
            fail(channel, TOO_BIG, "a message may hold at most " + maxMessageBytes + " bytes");
        }
    }
}
