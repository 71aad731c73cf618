package dev.overseer.http.action;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.RequestContext;
import dev.overseer.context.RunId;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.supervisor.AcceptedRun;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.core.supervisor.RunStart;
import dev.overseer.http.ApiAction;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;
import dev.overseer.http.ApiResponse;
import dev.overseer.http.JsonFields;
import dev.overseer.http.Representations;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /api/threads/{id}/runs}: starts a run on the caller's thread. {@code 202} with the run, or
 * with {@code ?wait=true} {@code 200} with the finished run.
 */
public final class StartRunAction implements ApiAction {
    public static final String NAME = "startRun";
    static final long MAX_WAIT_SECONDS = 300;

    private final RequestContext request;
    private final RunService runs;

    @Inject
    StartRunAction(RequestContext request, RunService runs) {
        this.request = request;
        this.runs = runs;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        var thread = Paths.threadId(http);
        boolean wait = http.queryFlag("wait");
        ObjectNode body = http.jsonObject();
        JsonFields.allowOnly(body, Set.of("content", "agent"));
        String content = JsonFields.requiredString(body, "content", Integer.MAX_VALUE);
        String agent = JsonFields.optionalString(body, "agent", 100);
        AcceptedRun run = runs.start(request.executionContext(thread, RunId.generate()),
                new RunStart(content, agent, false));
        if (wait && finished(runs.active(request.userId(), run.runId()))) {
            return ApiResponse.ok(current(run.runId()));
        }
        return ApiResponse.accepted(current(run.runId()));
    }

    private static boolean finished(Optional<ActiveRun> live) throws ApiProblem {
        if (live.isEmpty()) {
            return true;
        }
        try {
            live.get().terminal().get(MAX_WAIT_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiProblem(503, "unavailable", "the server is shutting down");
        } catch (ExecutionException e) {
            throw new IllegalStateException("a run's terminal future failed", e);
        }
    }

    private ObjectNode current(RunId id) throws ApiProblem {
        return Representations.run(runs.find(request.userId(), id).orElseThrow(() -> ApiProblem.notFound("run")));
    }
}
