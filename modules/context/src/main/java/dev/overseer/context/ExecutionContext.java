package dev.overseer.context;

import java.util.Objects;

/**
 * What the supervisor core needs to know about one run, whatever the transport: who asked, on which
 * thread, which run, and where the request came from. Both transports build one of these from their
 * own context; the core never sees a socket or an HTTP exchange.
 */
public record ExecutionContext(Principal principal, ThreadId threadId, RunId runId, Origin origin) {
    public ExecutionContext {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(threadId, "threadId");
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(origin, "origin");
    }

    public UserId userId() {
        return principal.userId();
    }
}
