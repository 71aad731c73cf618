package dev.overseer.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.util.Deque;
import java.util.Map;

/**
 * The parts of an HTTP request an action reads: path parameters, query parameters, selected headers and
 * the body, already limited in size. Parsing errors are {@link ApiProblem}s with a precise detail.
 */
public final class ApiRequest {
    private final Map<String, String> pathParameters;
    private final Map<String, Deque<String>> queryParameters;
    private final Map<String, String> headers;
    private final byte[] body;

    public ApiRequest(Map<String, String> pathParameters, Map<String, Deque<String>> queryParameters,
            Map<String, String> headers, byte[] body) {
        this.pathParameters = Map.copyOf(pathParameters);
        this.queryParameters = queryParameters;
        this.headers = headers;
        this.body = body;
    }

    public String path(String name) {
        return pathParameters.get(name);
    }

    /** A header value by lower-case name, or null. */
    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    /** Whether the client asked for Server-Sent Events ({@code Accept: text/event-stream}). */
    public boolean acceptsEventStream() {
        String accept = header("accept");
        return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
    }

    /** A single-valued query parameter, or null when absent. */
    public String query(String name) throws ApiProblem {
        Deque<String> values = queryParameters.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw ApiProblem.badRequest("query parameter '" + name + "' is given more than once");
        }
        return values.getFirst();
    }

    /** An integer query parameter within [min, max], or the default when absent. */
    public int queryInt(String name, int min, int max, int defaultValue) throws ApiProblem {
        String value = query(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ApiProblem.badRequest("query parameter '" + name + "' must be a whole number from " + min + " to " + max);
    }

    /** A boolean query parameter ({@code true} or {@code false}), or false when absent. */
    public boolean queryFlag(String name) throws ApiProblem {
        String value = query(name);
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw ApiProblem.badRequest("query parameter '" + name + "' must be true or false");
    }

    /** The body as a JSON object; an empty body is an empty object. */
    public ObjectNode jsonObject() throws ApiProblem {
        if (body.length == 0) {
            return Json.object();
        }
        JsonNode node;
        try {
            node = Json.mapper().readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiProblem.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw ApiProblem.badRequest("the body could not be read");
        }
        if (node == null || node.isMissingNode()) {
            return Json.object();
        }
        if (!node.isObject()) {
            throw ApiProblem.badRequest("the body must be a JSON object");
        }
        return (ObjectNode) node;
    }
}
