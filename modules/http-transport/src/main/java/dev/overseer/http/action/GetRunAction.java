package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;

/** {@code GET /api/runs/{id}}. */
public final class GetRunAction implements ApiAction {
    public static final String NAME = "getRun";

    private final RequestContext request;
    private final RunService runs;

    @Inject
    GetRunAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        RunRecord run = runs.find(request.userId(), Paths.runId(http)).orElseThrow(() -> ApiProblem.notFound("run"));
        return ApiResponse.ok(Representations.run(run, runs.pendingApproval(run)));
    }
}
