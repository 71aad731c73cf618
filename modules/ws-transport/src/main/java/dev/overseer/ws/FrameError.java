package dev.overseer.ws;

/** A frame the server could not accept: the error code and message it answers with. */
final class FrameError extends Exception {
    private final String code;
    private final String requestId;

    FrameError(String code, String message, String requestId) {
        super(message, null, false, false);
        this.code = code;
        this.requestId = requestId;
    }

    String code() {
        return code;
    }

    String requestId() {
        return requestId;
    }
}
