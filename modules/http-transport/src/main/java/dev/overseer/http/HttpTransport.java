package dev.overseer.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.InvalidIdException;
import dev.overseer.context.Principal;
import dev.overseer.context.RequestContext;
import dev.overseer.context.RequestId;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.auth.TokenAuthenticator;
import dev.overseer.core.json.Json;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.store.Database;
import dev.overseer.core.supervisor.RunService;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.PathTemplateMatcher;
import io.undertow.util.StatusCodes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP transport: health endpoints, and the API, where each request is authenticated, gets its own
 * {@link RequestComponent} and runs its action on a virtual thread (never on an I/O thread).
 */
@Singleton
public final class HttpTransport {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    /** The largest request body accepted. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /** How often an idle SSE stream gets a comment line, so proxies keep it open. */
    static final Duration SSE_KEEP_ALIVE = Duration.ofSeconds(15);
    static final HttpString REQUEST_ID = HttpString.tryFromString("X-Request-Id");
    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    private final TokenAuthenticator authenticator;
    private final RequestComponent.Factory requests;
    private final Database database;
    private final Clock clock;
    private final SseStream sse;
    private final PathTemplateMatcher<Map<String, String>> routes = new PathTemplateMatcher<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    @Inject
    HttpTransport(TokenAuthenticator authenticator, RequestComponent.Factory requests, Database database, Clock clock,
            RunService runs) {
        this.authenticator = authenticator;
        this.requests = requests;
        this.database = database;
        this.clock = clock;
        this.sse = new SseStream(runs, SSE_KEEP_ALIVE);
        Map<String, Map<String, String>> byTemplate = new LinkedHashMap<>();
        for (ApiRoute route : ApiActionsModule.ROUTES) {
            byTemplate.computeIfAbsent(route.template(), key -> new LinkedHashMap<>()).put(route.method(), route.action());
        }
        byTemplate.forEach(routes::add);
    }

    /** The handler for every path but {@code /ws}. */
    public HttpHandler handler() {
        return this::route;
    }

    /** Stops taking work; requests in flight finish. */
    public void shutdown() {
        executor.shutdown();
    }

    private void route(HttpServerExchange exchange) {
        String path = exchange.getRelativePath();
        String method = exchange.getRequestMethod().toString();
        if (path.equals("/healthz")) {
            if (allow(exchange, method, "GET")) {
                sendJson(exchange, 200, Json.object().put("status", "ok"));
            }
            return;
        }
        if (path.equals("/readyz")) {
            if (allow(exchange, method, "GET")) {
                exchange.dispatch(executor, () -> {
                    boolean ready = database.isReady();
                    sendJson(exchange, ready ? 200 : 503, Json.object().put("status", ready ? "ok" : "unavailable"));
                });
            }
            return;
        }
        PathTemplateMatcher.PathMatchResult<Map<String, String>> match = routes.match(path);
        if (match == null) {
            sendProblem(exchange, new ApiProblem(404, "not_found", "no resource at " + path));
            return;
        }
        String action = match.getValue().get(method);
        if (action == null) {
            exchange.getResponseHeaders().put(Headers.ALLOW, String.join(", ", match.getValue().keySet()));
            sendProblem(exchange, new ApiProblem(405, "method_not_allowed",
                    method + " is not allowed on " + path + "; allowed: " + String.join(", ", match.getValue().keySet())));
            return;
        }
        Map<String, String> parameters = match.getParameters();
        exchange.dispatch(executor, () -> serve(exchange, action, parameters));
    }

    private void serve(HttpServerExchange exchange, String actionName, Map<String, String> parameters) {
        RequestId requestId = requestId(exchange);
        exchange.getResponseHeaders().put(REQUEST_ID, requestId.value());
        try {
            Principal principal = authenticator.authenticateHeader(
                    exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
            byte[] body = readBody(exchange);
            RequestContext context = new RequestContext(requestId, exchange.getRequestMethod().toString(),
                    exchange.getRelativePath(), principal, remoteAddress(exchange), clock.instant());
            ApiAction action = requests.create(context).actions().get(actionName).get();
            ApiResponse response = action.handle(new ApiRequest(parameters, exchange.getQueryParameters(),
                    headers(exchange), body));
            switch (response) {
                case ApiResponse.Json json -> sendJson(exchange, json.status(), json.body());
                case ApiResponse.Empty empty -> {
                    exchange.setStatusCode(empty.status());
                    exchange.endExchange();
                }
                case ApiResponse.EventStream stream -> sse.serve(exchange, principal.userId(), stream.run(),
                        stream.afterSeq());
            }
        } catch (AuthenticationException e) {
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
            sendProblem(exchange, new ApiProblem(401, "unauthorized", e.getMessage()));
        } catch (ApiProblem e) {
            sendProblem(exchange, e);
        } catch (RunRejectedException e) {
            sendProblem(exchange, RunProblems.of(e));
        } catch (RuntimeException e) {
            LOG.error("request {} {} failed", requestId, exchange.getRelativePath(), e);
            sendProblem(exchange, new ApiProblem(500, "internal", "internal error; request id " + requestId));
        }
    }

    private static byte[] readBody(HttpServerExchange exchange) throws ApiProblem {
        if (exchange.getRequestContentLength() > MAX_BODY_BYTES) {
            throw tooLarge();
        }
        exchange.startBlocking();
        try (InputStream in = exchange.getInputStream()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw tooLarge();
            }
            return body;
        } catch (IOException e) {
            throw ApiProblem.badRequest("the body could not be read");
        }
    }

    private static ApiProblem tooLarge() {
        return new ApiProblem(413, "body_too_large", "the body is larger than " + MAX_BODY_BYTES + " bytes");
    }

    private static RequestId requestId(HttpServerExchange exchange) {
        String given = exchange.getRequestHeaders().getFirst(REQUEST_ID);
        if (given != null) {
            try {
                return new RequestId(given);
            } catch (InvalidIdException e) {
                // an unusable id is replaced by one of ours
            }
        }
        return RequestId.generate();
    }

    private static Map<String, String> headers(HttpServerExchange exchange) {
        Map<String, String> headers = new HashMap<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            headers.put(values.getHeaderName().toString().toLowerCase(java.util.Locale.ROOT), values.getFirst());
        }
        return headers;
    }

    private static String remoteAddress(HttpServerExchange exchange) {
        InetSocketAddress source = exchange.getSourceAddress();
        return source == null || source.getAddress() == null ? "unknown" : source.getAddress().getHostAddress();
    }

    private static boolean allow(HttpServerExchange exchange, String method, String allowed) {
        if (method.equals(allowed)) {
            return true;
        }
        exchange.getResponseHeaders().put(Headers.ALLOW, allowed);
        sendProblem(exchange, new ApiProblem(405, "method_not_allowed", method + " is not allowed; allowed: " + allowed));
        return false;
    }

    private static void sendJson(HttpServerExchange exchange, int status, JsonNode body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
        exchange.getResponseSender().send(Json.write(body));
    }

    static void sendProblem(HttpServerExchange exchange, ApiProblem problem) {
        exchange.setStatusCode(problem.status());
        if (problem.retryAfterMillis() > 0) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString((problem.retryAfterMillis() + 999) / 1000));
        }
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, PROBLEM_JSON);
        exchange.getResponseSender().send(Json.write(Json.object()
                .put("type", "about:blank")
                .put("title", StatusCodes.getReason(problem.status()))
                .put("status", problem.status())
                .put("detail", problem.detail())
                .put("code", problem.code())));
    }
}
