package dev.overseer.context;

import java.time.Instant;
import java.util.Objects;

/** One authenticated HTTP request, as the HTTP transport sees it: it lives exactly as long as the request. */
public record RequestContext(
        RequestId requestId, String method, String path, Principal principal, String remoteAddress, Instant receivedAt) {

    public RequestContext {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    public UserId userId() {
        return principal.userId();
    }

    /** The context of a run this request starts. */
    public ExecutionContext executionContext(ThreadId threadId, RunId runId) {
        return new ExecutionContext(principal, threadId, runId, new Origin.Http(requestId));
    }
}
