package dev.overseer.core.store;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import java.time.Instant;

/** A stored message on a thread: the user's text or the assistant's final answer of a run. */
public record MessageRecord(MessageId id, ThreadId threadId, RunId runId, Role role, String content, Instant createdAt) {
    /** Who wrote a message. */
    public enum Role {
        USER("user"),
        ASSISTANT("assistant");

        private final String wire;

        Role(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        public static Role fromWire(String wire) {
            for (Role role : values()) {
                if (role.wire.equals(wire)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("unknown role " + wire);
        }
    }
}
