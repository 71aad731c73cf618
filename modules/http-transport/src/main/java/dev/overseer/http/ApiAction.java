package dev.overseer.http;

/** One endpoint of the API, created per request inside the request's {@link RequestComponent}. */
public interface ApiAction {
    ApiResponse handle(ApiRequest request) throws ApiProblem;
}
