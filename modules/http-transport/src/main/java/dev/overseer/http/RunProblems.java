package dev.overseer.http;

import dev.overseer.core.run.RunRejectedException;

/** The HTTP status and problem code of each reason the core refuses a run request. */
final class RunProblems {
    private RunProblems() {
    }

    static ApiProblem of(RunRejectedException e) {
        return switch (e.reason()) {
            case INVALID_MESSAGE -> new ApiProblem(400, "invalid_request", e.getMessage());
            case NOT_FOUND -> new ApiProblem(404, "not_found", e.getMessage());
            case THREAD_BUSY -> new ApiProblem(409, "thread_busy", e.getMessage());
            case RUN_NOT_ACTIVE -> new ApiProblem(409, "run_not_active", e.getMessage());
            case APPROVAL_NOT_PENDING -> new ApiProblem(409, "approval_not_pending", e.getMessage());
            case TOO_MANY_RUNS -> new ApiProblem(429, "too_many_runs", e.getMessage());
            case RATE_LIMITED -> new ApiProblem(429, "rate_limited", e.getMessage(), e.retryAfterMillis());
            case UNAVAILABLE -> new ApiProblem(503, "unavailable", e.getMessage(), e.retryAfterMillis());
        };
    }
}
