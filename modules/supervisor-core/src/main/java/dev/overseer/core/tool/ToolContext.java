package dev.overseer.core.tool;

import dev.overseer.context.UserId;
import java.util.Objects;

/**
 * What a tool call knows of the run that makes it: whose run it is (a tool that serves many users passes it on,
 * never mixes them), and where the call's progress goes. {@code progress} is called on the run's own thread, in
 * order, between the call's {@code tool_executing} and {@code tool_completed} events.
 */
public record ToolContext(UserId user, Progress progress) {
    public ToolContext {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(progress, "progress");
    }

    /** Receives a running call's progress: how far, out of how much (null: unknown), and what it is doing. */
    @FunctionalInterface
    public interface Progress {
        void report(double progress, Double total, String message);
    }
}
