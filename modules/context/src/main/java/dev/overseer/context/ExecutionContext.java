package dev.overseer.context;

import java.util.Objects;
import java.util.Optional;

/**
 * What the supervisor core needs to know about one run, whatever the transport: who asked, on which
 * thread, which run, and where the request came from. Both transports build one of these from their
 * own context; the core never sees a socket or an HTTP exchange. The caller's trace, if it named one, is the
 * parent of the run's.
 */
public record ExecutionContext(Principal principal, ThreadId threadId, RunId runId, Origin origin,
        Optional<TraceParent> traceParent) {
    public ExecutionContext {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(threadId, "threadId");
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(traceParent, "traceParent");
    }

    /** A run outside any trace. */
    public ExecutionContext(Principal principal, ThreadId threadId, RunId runId, Origin origin) {
        this(principal, threadId, runId, origin, Optional.empty());
    }

    public UserId userId() {
        return principal.userId();
    }
}
