package dev.overseer.core.supervisor;

import java.time.Duration;

/**
 * How agents run: at most {@code maxSteps} model calls per agent, the thread's earlier messages up to
 * {@code historyChars} characters, a whole run stopped after {@code runTimeout} (time spent waiting for a person
 * not counted), and a tool call waiting for approval rejected after {@code approvalTimeout}.
 */
public record AgentSettings(int maxSteps, int historyChars, Duration runTimeout, Duration approvalTimeout) {
    public static final AgentSettings DEFAULTS = new AgentSettings(8, 24_000, Duration.ofMinutes(10),
            Duration.ofMinutes(10));

    public AgentSettings {
        if (maxSteps < 1) {
            throw new IllegalArgumentException("maxSteps must be at least 1");
        }
        if (historyChars < 0) {
            throw new IllegalArgumentException("historyChars must not be negative");
        }
    }
}
