package dev.overseer.context;

import java.time.Instant;
import java.util.Objects;

/** An authenticated caller: who they are and until when their credential is valid. */
public record Principal(UserId userId, Instant expiresAt) {
    public Principal {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
