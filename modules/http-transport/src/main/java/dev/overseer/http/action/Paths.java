package dev.overseer.http.action;

import dev.overseer.context.InvalidIdException;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;

/** Ids read from the path; an id that cannot exist is simply not found. */
final class Paths {
    private Paths() {
    }

    static ThreadId threadId(ApiRequest request) throws ApiProblem {
        try {
            return ThreadId.parse(request.path("id"));
        } catch (InvalidIdException e) {
            throw ApiProblem.notFound("thread");
        }
    }

    static RunId runId(ApiRequest request) throws ApiProblem {
        try {
            return RunId.parse(request.path("id"));
        } catch (InvalidIdException e) {
            throw ApiProblem.notFound("run");
        }
    }
}
