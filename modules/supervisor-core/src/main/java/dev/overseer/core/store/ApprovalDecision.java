package dev.overseer.core.store;

/** How a tool call's approval was answered: {@code by} is {@code user} or {@code timeout}; {@code reason} may be null. */
public record ApprovalDecision(boolean approved, String reason, String by) {
    public static final String BY_USER = "user";
    public static final String BY_TIMEOUT = "timeout";
}
