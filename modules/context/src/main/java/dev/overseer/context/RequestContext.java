package dev.overseer.context;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One authenticated HTTP request, as the HTTP transport sees it: it lives exactly as long as the request. Its trace
 * parent, when tracing is on, is the request's own span.
 */
public record RequestContext(RequestId requestId, String method, String path, Principal principal, String remoteAddress,
        Instant receivedAt, Optional<TraceParent> traceParent) {

    public RequestContext {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(receivedAt, "receivedAt");
        Objects.requireNonNull(traceParent, "traceParent");
    }

    /** A request outside any trace. */
    public RequestContext(RequestId requestId, String method, String path, Principal principal, String remoteAddress,
            Instant receivedAt) {
        this(requestId, method, path, principal, remoteAddress, receivedAt, Optional.empty());
    }

    public UserId userId() {
        return principal.userId();
    }

    /** The context of a run this request starts. */
    public ExecutionContext executionContext(ThreadId threadId, RunId runId) {
        return new ExecutionContext(principal, threadId, runId, new Origin.Http(requestId), traceParent);
    }
}
