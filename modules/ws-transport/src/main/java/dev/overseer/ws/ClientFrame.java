package dev.overseer.ws;

import java.util.List;

/** A frame a client sent, decoded and checked (SPEC §5). */
sealed interface ClientFrame {
    /** Starts a run; a null {@code threadId} asks for a new thread. */
    record StartAgent(String content, String threadId, String agent, String requestId) implements ClientFrame {
    }

    /** Cancels an active run. */
    record CancelRun(String runId, String requestId) implements ClientFrame {
    }

    /** Replays a run's events after {@code afterSeq}, then follows it live. */
    record Resume(String runId, int afterSeq, String requestId) implements ClientFrame {
    }

    /** Follows every later run on a thread. */
    record Subscribe(String threadId, String requestId) implements ClientFrame {
    }

    /** Approves or rejects a tool call of a run that waits for it; {@code reason} may be null. */
    record ApproveTool(String runId, String toolCallId, boolean approved, String reason, String requestId)
            implements ClientFrame {
    }

    /** Asks for a {@code pong}. */
    record Ping(String requestId) implements ClientFrame {
    }

    /** Every frame type a client can send, as {@link #type()} names them. */
    List<String> TYPES = List.of("start_agent", "cancel_run", "resume", "subscribe", "approve_tool", "ping");

    /** The client's correlation id, echoed on errors; may be null. */
    String requestId();

    /** The frame's {@code type} on the wire. */
    default String type() {
        return switch (this) {
            case StartAgent start -> "start_agent";
            case CancelRun cancel -> "cancel_run";
            case Resume resume -> "resume";
            case Subscribe subscribe -> "subscribe";
            case ApproveTool approve -> "approve_tool";
            case Ping ping -> "ping";
        };
    }
}
