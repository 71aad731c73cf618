package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;

/** {@code GET /api/threads/{id}}. */
public final class GetThreadAction implements ApiAction {
    public static final String NAME = "getThread";

    private final RequestContext request;
    private final ThreadStore threads;

    @Inject
    GetThreadAction(RequestContext request, ThreadStore threads) {
        this.request = request;
        this.threads = threads;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        return ApiResponse.ok(Representations.thread(threads.find(request.userId(), Paths.threadId(http))
                .orElseThrow(() -> ApiProblem.notFound("thread"))));
    }
}
