package dev.overseer.http;

/** An RFC 9457 problem to answer with: HTTP status, stable code, precise detail. */
public final class ApiProblem extends Exception {
    private final int status;
    private final String code;

    public ApiProblem(int status, String code, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
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
