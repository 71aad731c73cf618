package dev.overseer.http.action;

import dev.overseer.core.store.InvalidCursorException;
import dev.overseer.http.ApiProblem;
import dev.overseer.http.ApiRequest;

/** The list conventions of SPEC §6: {@code limit} 1..100 (default 20) and an opaque {@code cursor}. */
final class Limits {
    static final int DEFAULT_LIMIT = 20;
    static final int MAX_LIMIT = 100;

    private Limits() {
    }

    static int limit(ApiRequest request) throws ApiProblem {
        return request.queryInt("limit", 1, MAX_LIMIT, DEFAULT_LIMIT);
    }

    static ApiProblem invalidCursor(InvalidCursorException e) {
        return new ApiProblem(400, "invalid_cursor", e.getMessage());
    }
}
