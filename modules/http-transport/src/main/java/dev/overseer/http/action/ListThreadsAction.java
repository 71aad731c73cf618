package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.core.store.InvalidCursorException;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;

/** {@code GET /api/threads}: the caller's threads, most recently updated first. */
public final class ListThreadsAction implements ApiAction {
    public static final String NAME = "listThreads";

    private final RequestContext request;
    private final ThreadStore threads;

    @Inject
    ListThreadsAction(RequestContext request, ThreadStore threads) {
        this.request = request;
        this.threads = threads;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        int limit = Limits.limit(http);
        try {
            return ApiResponse.ok(Representations.page(
                    threads.list(request.userId(), http.query("cursor"), limit), Representations::thread));
        } catch (InvalidCursorException e) {
            throw Limits.invalidCursor(e);
        }
    }
}
