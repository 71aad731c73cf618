package dev.overseer.http;

/** One route of the API: method, Undertow path template, and the name of the action that serves it. */
public record ApiRoute(String method, String template, String action) {
}
