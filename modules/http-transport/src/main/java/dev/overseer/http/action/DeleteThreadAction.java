package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import jakarta.inject.Inject;

/**
 * {@code DELETE /api/threads/{id}}: {@code 204}; the thread's messages, runs and events go with it.
 * A thread with an active run is {@code 409 thread_busy}: cancel the run first.
 */
public final class DeleteThreadAction implements ApiAction {
    public static final String NAME = "deleteThread";

    private final RequestContext request;
    private final RunService runs;

    @Inject
    DeleteThreadAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        return switch (runs.deleteThread(request.userId(), Paths.threadId(http))) {
            case DELETED -> ApiResponse.noContent();
            case NOT_FOUND -> throw ApiProblem.notFound("thread");
            case BUSY -> throw new ApiProblem(409, "thread_busy",
                    "the thread has an active run; cancel it before deleting the thread");
        };
    }
}
