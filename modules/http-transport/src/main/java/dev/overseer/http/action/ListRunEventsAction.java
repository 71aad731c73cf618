package dev.overseer.http.action;

import dev.overseer.context.RequestContext;
import dev.overseer.context.RunId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import jakarta.inject.Inject;
import java.util.List;

/**
 * {@code GET /api/runs/{id}/events}: the run's events after {@code ?after=N} (or {@code Last-Event-ID}),
 * exactly as they were sent live. As JSON, pages of at most {@code limit} (default and maximum 1000) with
 * {@code next_cursor} the {@code after} of the next page; with {@code Accept: text/event-stream}, an SSE
 * stream that stays open until the terminal event.
 */
public final class ListRunEventsAction implements ApiAction {
    public static final String NAME = "listRunEvents";
    static final int MAX_EVENTS_PER_PAGE = 1_000;

    private final RequestContext request;
    private final RunService runs;

    @Inject
    ListRunEventsAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        RunId run = Paths.runId(http);
        int after = http.queryInt("after", 0, Integer.MAX_VALUE, 0);
        String lastEventId = http.header("last-event-id");
        if (lastEventId != null) {
            try {
                after = Math.max(after, Integer.parseInt(lastEventId.trim()));
            } catch (NumberFormatException e) {
                throw ApiProblem.badRequest("Last-Event-ID must be the seq of an event");
            }
        }
        if (http.acceptsEventStream()) {
            if (runs.find(request.userId(), run).isEmpty()) {
                throw ApiProblem.notFound("run");
            }
            return new ApiResponse.EventStream(run, after);
        }
        int limit = http.queryInt("limit", 1, MAX_EVENTS_PER_PAGE, MAX_EVENTS_PER_PAGE);
        List<RunEvent> events = runs.events(request.userId(), run, after);
        // The events are written out exactly as they were sent live and stored, not re-serialised.
        StringBuilder body = new StringBuilder("{\"data\":[");
        for (int i = 0; i < Math.min(limit, events.size()); i++) {
            body.append(i == 0 ? "" : ",").append(events.get(i).json());
        }
        String next = events.size() > limit ? "\"" + events.get(limit - 1).seq() + "\"" : "null";
        return new ApiResponse.RawJson(200, body.append("],\"next_cursor\":").append(next).append('}').toString());
    }
}
