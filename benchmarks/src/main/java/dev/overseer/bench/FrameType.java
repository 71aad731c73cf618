package dev.overseer.bench;

import java.nio.charset.StandardCharsets;

/**
 * The server frame types the load driver reacts to, read straight from the frame's bytes: Overseer writes
 * {@code type} first in every frame, so this is a prefix comparison, with a search as the fallback.
 */
enum FrameType {
    CONNECTION_ESTABLISHED("connection_established"),
    RUN_ACCEPTED("run_accepted"),
    RUN_COMPLETED("run_completed"),
    RUN_FAILED("run_failed"),
    RUN_CANCELLED("run_cancelled"),
    ERROR("error"),
    OTHER("");

    private static final byte[] TYPE_FIELD = "\"type\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final FrameType[] KNOWN = {CONNECTION_ESTABLISHED, RUN_ACCEPTED, RUN_COMPLETED, RUN_FAILED,
            RUN_CANCELLED, ERROR};

    private final byte[] quoted;

    FrameType(String wire) {
        this.quoted = (wire + "\"").getBytes(StandardCharsets.US_ASCII);
    }

    boolean terminal() {
        return this == RUN_COMPLETED || this == RUN_FAILED || this == RUN_CANCELLED;
    }

    static FrameType of(byte[] data, int offset, int length) {
        int value = offset + 1 + TYPE_FIELD.length;
        if (!startsWith(data, offset + 1, offset + length, TYPE_FIELD)) {
            int found = indexOf(data, offset, offset + length, TYPE_FIELD);
            if (found < 0) {
                return OTHER;
            }
            value = found + TYPE_FIELD.length;
        }
        for (FrameType type : KNOWN) {
            if (startsWith(data, value, offset + length, type.quoted)) {
                return type;
            }
        }
        return OTHER;
    }

    static boolean startsWith(byte[] data, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(byte[] data, int from, int to, byte[] needle) {
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
