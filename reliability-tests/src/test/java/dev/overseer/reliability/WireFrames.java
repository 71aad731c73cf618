package dev.overseer.reliability;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Client WebSocket frames (RFC 6455 §5.2) built byte by byte, so tests can send what no client library would. */
final class WireFrames {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;

    private WireFrames() {
    }

    static byte[] text(String text) {
        return frame(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
    }

    /** A masked frame carrying {@code payload}, its header announcing exactly its length. */
    static byte[] frame(int opcode, boolean fin, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 14);
        out.writeBytes(header(opcode, fin, payload.length));
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            out.write(payload[i] ^ mask[i % 4]);
        }
        return out.toByteArray();
    }

    /** A masked frame's header and mask only, announcing {@code length} bytes that the caller may never send. */
    static byte[] headerOnly(int opcode, boolean fin, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(14);
        out.writeBytes(header(opcode, fin, length));
        out.writeBytes(new byte[] {0x11, 0x22, 0x33, 0x44});
        return out.toByteArray();
    }

    private static byte[] header(int opcode, boolean fin, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(10);
        out.write((fin ? 0x80 : 0) | opcode);
        if (length < 126) {
            out.write(0x80 | (int) length);
        } else if (length < 65_536) {
            out.write(0x80 | 126);
            out.write((int) (length >>> 8) & 0xff);
            out.write((int) length & 0xff);
        } else {
            out.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) (length >>> shift) & 0xff);
            }
        }
        return out.toByteArray();
    }
}
