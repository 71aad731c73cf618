package dev.overseer.core.auth;

import dev.overseer.context.Principal;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tokens that passed verification, each with its principal, kept until the token's {@code exp}: a client
 * sends the same token with every request, and a hit here saves the HMAC and the JSON parsing. Bounded by
 * {@code capacity}, give or take the threads adding at the same instant (see ADR 0010).
 */
final class VerifiedTokens {
    private final int capacity;
    private final Clock clock;
    private final ConcurrentHashMap<String, Principal> byToken;
    private final ReentrantLock makingRoom = new ReentrantLock();

    VerifiedTokens(int capacity, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1");
        }
        this.capacity = capacity;
        this.clock = clock;
        this.byToken = new ConcurrentHashMap<>(Math.min(capacity, 1024));
    }

    /** The principal of a token verified earlier, or null when it was not, or has expired since. */
    Principal find(String token) {
        Principal principal = byToken.get(token);
        if (principal == null) {
            return null;
        }
        if (clock.instant().isBefore(principal.expiresAt())) {
            return principal;
        }
        byToken.remove(token, principal);
        return null;
    }

    /** Keeps a token that was just verified; when the cache is full and another thread is making room, it is not kept. */
    void remember(String token, Principal principal) {
        if (byToken.size() >= capacity && !makeRoom()) {
            return;
        }
        byToken.put(token, principal);
    }

    int size() {
        return byToken.size();
    }

    /**
     * Drops expired tokens, then, until at most half the capacity is used, others in the map's own order
     * (unrelated to age or use). A sweep is followed by at least {@code capacity / 2} insertions before the next.
     */
    private boolean makeRoom() {
        if (!makingRoom.tryLock()) {
            return false;
        }
        try {
            Instant now = clock.instant();
            byToken.values().removeIf(principal -> !now.isBefore(principal.expiresAt()));
            int excess = byToken.size() - capacity / 2;
            for (Iterator<String> tokens = byToken.keySet().iterator(); excess > 0 && tokens.hasNext(); excess--) {
                tokens.next();
                tokens.remove();
            }
            return true;
        } finally {
            makingRoom.unlock();
        }
    }
}
