package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.context.RunId;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;

/** {@code POST /api/runs/{id}/cancel}: {@code 202} with the run while it stops; {@code 409} once finished. */
public final class CancelRunAction implements ApiAction {
    public static final String NAME = "cancelRun";

    private final RequestContext request;
    private final RunService runs;

    @Inject
    CancelRunAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        RunId run = Paths.runId(http);
        runs.cancel(request.userId(), run);
        return ApiResponse.accepted(Representations.run(runs.find(request.userId(), run)
                .orElseThrow(() -> ApiProblem.notFound("run"))));
    }
}
