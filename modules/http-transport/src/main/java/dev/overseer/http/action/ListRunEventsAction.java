package dev.overseer.http.action;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.RequestContext;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.json.Json;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import jakarta.inject.Inject;

/** {@code GET /api/runs/{id}/events?after=N}: the run's events after {@code N}, exactly as sent live. */
public final class ListRunEventsAction implements ApiAction {
    public static final String NAME = "listRunEvents";

    private final RequestContext request;
    private final RunService runs;

    @Inject
    ListRunEventsAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        var run = Paths.runId(http);
        int after = http.queryInt("after", 0, Integer.MAX_VALUE, 0);
        ObjectNode body = Json.object();
        ArrayNode data = body.putArray("data");
        for (RunEvent event : runs.events(request.userId(), run, after)) {
            data.add(Json.readTrusted(event.json()));
        }
        return ApiResponse.ok(body);
    }
}
