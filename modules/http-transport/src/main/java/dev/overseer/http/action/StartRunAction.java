package dev.overseer.http.action;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.RequestContext;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.core.json.Json;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.store.IdempotentResponseStore;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.IdempotentResponseStore.StoredResponse;
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
 * {@code POST /api/threads/{id}/runs}: starts a run on the caller's thread. {@code 202} with the run;
 * with {@code ?wait=true} {@code 200} with the finished run; with {@code Accept: text/event-stream} the
 * run's events as SSE. An {@code Idempotency-Key} seen before (24 h) answers what the first request got
 * and starts nothing; the same key with a different request is {@code 422}.
 */
public final class StartRunAction implements ApiAction {
    public static final String NAME = "startRun";
    static final long MAX_WAIT_SECONDS = 300;
    static final int MAX_KEY_LENGTH = 200;
    /** HTTP idempotency keys and WebSocket request ids live in separate key spaces. */
    static final String IDEMPOTENCY_PREFIX = "http:";
    private static final long REPLAY_WAIT_MILLIS = 10_000;

    private final RequestContext request;
    private final RunService runs;
    private final IdempotentResponseStore responses;

    @Inject
    StartRunAction(RequestContext request, RunService runs, IdempotentResponseStore responses) {
        this.request = request;
        this.runs = runs;
        this.responses = responses;
    }

    @Override
    public ApiResponse handle(ApiRequest http) throws ApiProblem {
        ThreadId thread = Paths.threadId(http);
        boolean wait = http.queryFlag("wait");
        boolean stream = http.acceptsEventStream();
        String key = idempotencyKey(http);
        ObjectNode body = http.jsonObject();
        JsonFields.allowOnly(body, Set.of("content", "agent"));
        String content = JsonFields.requiredString(body, "content", Integer.MAX_VALUE);
        String agent = JsonFields.optionalString(body, "agent", 100);
        AcceptedRun run = runs.start(request.executionContext(thread, RunId.generate()),
                new RunStart(content, agent, false, key == null ? null : IDEMPOTENCY_PREFIX + key));
        if (run.repeated()) {
            if (!run.sameRequest() || !run.threadId().equals(thread)) {
                throw new ApiProblem(422, "idempotency_key_reused",
                        "this Idempotency-Key was already used for a different request");
            }
            return stream ? new ApiResponse.EventStream(run.runId(), 0) : replay(run.runId());
        }
        if (stream) {
            remember(key, run.runId(), 202, current(run.runId()));
            return new ApiResponse.EventStream(run.runId(), 0);
        }
        boolean finished = wait && finished(run.live());
        // A run that ended is answered from memory, as stored; otherwise as it reads from the database now.
        Optional<RunRecord> outcome = finished ? run.live().outcome() : Optional.empty();
        ObjectNode representation = outcome.isPresent() ? Representations.run(outcome.get()) : current(run.runId());
        int status = finished ? 200 : 202;
        remember(key, run.runId(), status, representation);
        return new ApiResponse.Json(status, representation);
    }

    private static String idempotencyKey(ApiRequest http) throws ApiProblem {
        String key = http.header("idempotency-key");
        if (key == null) {
            return null;
        }
        if (key.isBlank() || key.length() > MAX_KEY_LENGTH || key.chars().anyMatch(Character::isISOControl)) {
            throw ApiProblem.badRequest("Idempotency-Key must be 1 to " + MAX_KEY_LENGTH + " printable characters");
        }
        return key;
    }

    private void remember(String key, RunId run, int status, ObjectNode representation) {
        if (key != null) {
            responses.save(run, status, Json.write(representation));
        }
    }

    /** The first request's response; a concurrent first request may still be writing it, so wait a little. */
    private ApiResponse replay(RunId run) throws ApiProblem {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REPLAY_WAIT_MILLIS);
        while (true) {
            Optional<StoredResponse> stored = responses.find(run);
            if (stored.isPresent()) {
                return new ApiResponse.Json(stored.get().status(), Json.readTrusted(stored.get().body()));
            }
            if (System.nanoTime() > deadline) {
                throw new ApiProblem(409, "idempotency_key_in_use",
                        "a request with this Idempotency-Key is still in progress; retry later");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiProblem(503, "unavailable", "the server is shutting down");
            }
        }
    }

    private static boolean finished(ActiveRun live) throws ApiProblem {
        try {
            live.terminal().get(MAX_WAIT_SECONDS, TimeUnit.SECONDS);
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
