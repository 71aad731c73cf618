package dev.overseer.http;

/** An RFC 9457 problem to answer with: HTTP status, stable code, precise detail. */
public final class ApiProblem extends Exception {
    private final int status;
    private final String code;
    private final long retryAfterMillis;

    public ApiProblem(int status, String code, String detail) {
        this(status, code, detail, 0);
    }

    public ApiProblem(int status, String code, String detail, long retryAfterMillis) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** When positive, the problem is answered with a {@code Retry-After} header. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    public static ApiProblem badRequest(String detail) {
        return new ApiProblem(400, "invalid_request", detail);
    }

    public static ApiProblem notFound(String what) {
        return new ApiProblem(404, "not_found", what + " not found");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return getMessage();
    }
}
