package dev.overseer.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.context.Principal;
import dev.overseer.context.RequestContext;
import dev.overseer.context.RequestId;
import dev.overseer.core.auth.AuthenticationException;
import dev.overseer.core.auth.TokenAuthenticator;
import dev.overseer.core.json.Json;
import dev.overseer.core.mcp.McpServers;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.store.DatabaseOutage;
import dev.overseer.core.store.Database;
import dev.overseer.core.supervisor.RunService;
import dev.overseer.core.trace.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.undertow.server.HttpHandler;
import io.undertow.io.AsyncSenderImpl;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.PathTemplateMatcher;
import io.undertow.util.StatusCodes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP transport: the public endpoints (health, readiness, metrics, the OpenAPI and AsyncAPI documents), and the
 * API, where each request is authenticated, gets its own {@link RequestComponent} and runs its action on
 * a virtual thread (never on an I/O thread).
 */
@Singleton
public final class HttpTransport {
    private static final Logger LOG = LoggerFactory.getLogger(HttpTransport.class);
    /** The largest request body accepted. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;
    /**
     * How much of a too-large body is still read and dropped before the 413 goes out: a client busy sending
     * its body reads no answer from a connection that is reset under it (the same idea as Tomcat's maxSwallowSize).
     */
    static final int MAX_SWALLOWED_BYTES = 2 * 1024 * 1024;
    /** The most a request may send before the connection is cut ({@code UndertowOptions.MAX_ENTITY_SIZE}). */
    public static final long MAX_ENTITY_BYTES = (long) MAX_BODY_BYTES + MAX_SWALLOWED_BYTES;
    /** How often an idle SSE stream gets a comment line, so proxies keep it open. */
    static final Duration SSE_KEEP_ALIVE = Duration.ofSeconds(15);
    static final String OPENAPI_RESOURCE = "/dev/overseer/http/openapi.json";
    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";
    /** The paths served outside the API's route table (the {@code switch} in {@link #route}). */
    private static final Set<String> FIXED_ROUTES = Set.of("/healthz", "/readyz", "/metrics", "/openapi.json",
            "/asyncapi.json");

    private final TokenAuthenticator authenticator;
    private final RequestComponent.Factory requests;
    private final Database database;
    private final McpServers mcp;
    private final Clock clock;
    private final HttpMetrics metrics;
    private final MetricsExposition exposition;
    private final HttpSettings settings;
    private final UnauthenticatedConnections unauthenticated;
    private final Tracing tracing;
    private final ChatModel model;
    private final SseStream sse;
    private final String openApi;
    private final String asyncApi;
    private final StaticFiles files = new StaticFiles();
    private final PathTemplateMatcher<Map<String, String>> routes = new PathTemplateMatcher<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    @Inject
    HttpTransport(TokenAuthenticator authenticator, RequestComponent.Factory requests, Database database, Clock clock,
            RunService runs, HttpMetrics metrics, MetricsExposition exposition, HttpSettings settings,
            UnauthenticatedConnections unauthenticated, McpServers mcp, Tracing tracing, ChatModel model) {
        this.authenticator = authenticator;
        this.model = model;
        this.tracing = tracing;
        this.mcp = mcp;
        this.requests = requests;
        this.database = database;
        this.clock = clock;
        this.metrics = metrics;
        this.exposition = exposition;
        this.settings = settings;
        this.unauthenticated = unauthenticated;
        this.sse = new SseStream(runs, SSE_KEEP_ALIVE);
        this.openApi = Resources.text(OPENAPI_RESOURCE);
        this.asyncApi = AsyncApiDocument.json();
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

    /**
     * The route template that a request path (as sent, percent-encoded) matches, or null when it matches none: for
     * the requests answered before they reach this transport (CORS preflights), whose metrics name a route too.
     */
    public String routeOf(String rawPath) {
        String path;
        try {
            path = PercentDecoding.path(rawPath);
        } catch (ApiProblem e) {
            return null;
        }
        if (FIXED_ROUTES.contains(path)) {
            return path;
        }
        String fileRoute = StaticFiles.routeOf(path);
        if (fileRoute != null) {
            return fileRoute;
        }
        PathTemplateMatcher.PathMatchResult<Map<String, String>> match = routes.match(path);
        return match == null ? null : match.getMatchedTemplate();
    }

    /** Stops taking work; requests in flight finish. */
    public void shutdown() {
        executor.shutdown();
    }

    private void route(HttpServerExchange exchange) {
        String path;
        try {
            path = PercentDecoding.path(exchange.getRelativePath());
        } catch (ApiProblem e) {
            sendProblem(exchange, e);
            return;
        }
        String method = exchange.getRequestMethod().toString();
        String fileRoute = StaticFiles.routeOf(path);
        if (fileRoute != null) {
            serveFile(exchange, method, path, fileRoute);
            return;
        }
        switch (path) {
            case "/healthz" -> {
                if (allow(exchange, method, "GET", path)) {
                    sendJson(exchange, 200, Json.object().put("status", "ok"));
                }
                return;
            }
            case "/readyz" -> {
                if (allow(exchange, method, "GET", path)) {
                    exchange.dispatch(executor, () -> {
                        boolean ready = database.isReady();
                        ObjectNode body = Json.object().put("status", ready ? "ok" : "unavailable");
                        // An MCP server that is down does not make the node unready: its tools' calls fail, runs go on.
                        // Nor does a model endpoint that fails: runs on it fail with a clear error, and it is shown here.
                        model.health().ifPresent(health -> body.putObject("llm")
                                .put("state", health.state())
                                .put("detail", health.detail())
                                .put("checked_at", Json.timestamp(health.checkedAt())));
                        Map<String, String> servers = mcp.states();
                        if (!servers.isEmpty()) {
                            ObjectNode states = body.putObject("mcp");
                            servers.forEach(states::put);
                        }
                        sendJson(exchange, ready ? 200 : 503, body);
                    });
                }
                return;
            }
            case "/metrics" -> {
                if (allow(exchange, method, "GET", path)) {
                    exchange.dispatch(executor, () -> send(exchange, 200, exposition.contentType(), exposition.scrape()));
                }
                return;
            }
            case "/openapi.json" -> {
                if (allow(exchange, method, "GET", path)) {
                    send(exchange, 200, JSON, openApi);
                }
                return;
            }
            case "/asyncapi.json" -> {
                if (allow(exchange, method, "GET", path)) {
                    send(exchange, 200, JSON, asyncApi);
                }
                return;
            }
            default -> {
            }
        }
        PathTemplateMatcher.PathMatchResult<Map<String, String>> match = routes.match(path);
        if (match == null) {
            sendProblem(exchange, new ApiProblem(404, "not_found", "no resource at " + path));
            return;
        }
        exchange.putAttachment(EdgeHandler.ROUTE, match.getMatchedTemplate());
        String action = match.getValue().get(method);
        if (action == null) {
            String allowed = String.join(", ", match.getValue().keySet());
            exchange.getResponseHeaders().put(Headers.ALLOW, allowed);
            sendProblem(exchange, new ApiProblem(405, "method_not_allowed",
                    method + " is not allowed on " + path + "; allowed: " + allowed));
            return;
        }
        Map<String, String> parameters = match.getParameters();
        exchange.dispatch(executor, () -> serve(exchange, path, action, parameters));
    }

    /** The playground and the client's modules (GET and HEAD), with the headers that keep the page locked down. */
    private void serveFile(HttpServerExchange exchange, String method, String path, String route) {
        exchange.putAttachment(EdgeHandler.ROUTE, route);
        StaticFiles.secure(exchange);
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().put(Headers.ALLOW, StaticFiles.ALLOWED_METHODS);
            sendProblem(exchange, new ApiProblem(405, "method_not_allowed",
                    method + " is not allowed on " + path + "; allowed: " + StaticFiles.ALLOWED_METHODS));
            return;
        }
        StaticFiles.StaticFile cached = files.cached(path);
        if (cached != null) {
            StaticFiles.send(exchange, cached);
            return;
        }
        // The first request for a file reads it from the jar, off the I/O thread; the answer is written on it.
        exchange.dispatch(executor, () -> {
            Optional<StaticFiles.StaticFile> file = files.find(path);
            if (file.isEmpty()) {
                sendProblem(exchange, new ApiProblem(404, "not_found", "no resource at " + path));
                return;
            }
            exchange.dispatch(exchange.getIoThread(), () -> StaticFiles.send(exchange, file.get()));
        });
    }

    private void serve(HttpServerExchange exchange, String path, String actionName, Map<String, String> parameters) {
        RequestId requestId = exchange.getAttachment(EdgeHandler.REQUEST_ID);
        if (requestId == null) {
            requestId = RequestId.generate();
        }
        MDC.put("request_id", requestId.value());
        // What the action does (an admission, say) happens within the request's span, and a run it starts is its child.
        Span span = exchange.getAttachment(EdgeHandler.SPAN);
        span = span == null ? Span.getInvalid() : span;
        try (Scope scope = tracing.enabled() ? span.makeCurrent() : Scope.noop()) {
            Principal principal = authenticator.authenticateHeader(
                    exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
            exchange.putAttachment(EdgeHandler.USER, principal.userId().value());
            unauthenticated.authenticated(exchange);
            byte[] body = RequestBody.read(exchange, System.nanoTime() + settings.readTimeout().toNanos());
            Map<String, Deque<String>> query = PercentDecoding.query(exchange.getQueryParameters());
            RequestContext context = new RequestContext(requestId, exchange.getRequestMethod().toString(),
                    path, principal, remoteAddress(exchange), clock.instant(), tracing.traceParentOf(span));
            ApiAction action = requests.create(context).actions().get(actionName).get();
            ApiResponse response = action.handle(new ApiRequest(parameters, query, headers(exchange), body));
            switch (response) {
                case ApiResponse.Json json -> sendJson(exchange, json.status(), json.body());
                case ApiResponse.RawJson raw -> send(exchange, raw.status(), JSON, raw.json());
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
            if (DatabaseOutage.isCause(e)) {
                LOG.warn("request {} {}: {}", exchange.getRequestMethod(), path, e.getMessage());
                sendProblem(exchange, new ApiProblem(503, "unavailable", DatabaseOutage.MESSAGE,
                        DatabaseOutage.RETRY_AFTER.toMillis()));
                return;
            }
            LOG.error("request {} {} failed", exchange.getRequestMethod(), path, e);
            sendProblem(exchange, new ApiProblem(500, "internal", "internal error; request id " + requestId));
        } finally {
            MDC.remove("request_id");
        }
    }

    private static Map<String, String> headers(HttpServerExchange exchange) {
        Map<String, String> headers = new HashMap<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            headers.put(values.getHeaderName().toString().toLowerCase(Locale.ROOT), values.getFirst());
        }
        return headers;
    }

    private static String remoteAddress(HttpServerExchange exchange) {
        InetSocketAddress source = exchange.getSourceAddress();
        return source == null || source.getAddress() == null ? "unknown" : source.getAddress().getHostAddress();
    }

    private boolean allow(HttpServerExchange exchange, String method, String allowed, String path) {
        exchange.putAttachment(EdgeHandler.ROUTE, path);
        if (method.equals(allowed)) {
            return true;
        }
        exchange.getResponseHeaders().put(Headers.ALLOW, allowed);
        sendProblem(exchange, new ApiProblem(405, "method_not_allowed", method + " is not allowed; allowed: " + allowed));
        return false;
    }

    private static void sendJson(HttpServerExchange exchange, int status, JsonNode body) {
        send(exchange, status, JSON, Json.write(body));
    }

    /**
     * Sends the response. From a virtual thread the exchange is handed back to its I/O thread, which writes
     * the response (without blocking) and completes the exchange: completed on another thread, Undertow's
     * read listener spins on the connection's next request until that thread finishes, and a virtual
     * thread may wait long for a carrier.
     */
    private static void send(HttpServerExchange exchange, int status, String contentType, String body) {
        if (!exchange.isRequestComplete()) {
            // A body left unread (refused before it was read, or cut short): the connection cannot carry another
            // request, and waiting for the rest of it would hold the connection for as long as the client likes.
            exchange.setPersistent(false);
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, contentType);
        if (exchange.isInIoThread()) {
            exchange.getResponseSender().send(body, StandardCharsets.UTF_8);
            return;
        }
        ByteBuffer bytes = ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8));
        exchange.dispatch(exchange.getIoThread(), () -> new AsyncSenderImpl(exchange).send(bytes));
    }

    private void sendProblem(HttpServerExchange exchange, ApiProblem problem) {
        metrics.problem(problem.code());
        if (exchange.isResponseStarted()) {
            // Undertow already cut the connection (a body far over the limit): nobody is left to tell.
            exchange.endExchange();
            return;
        }
        if (problem.retryAfterMillis() > 0) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString((problem.retryAfterMillis() + 999) / 1000));
        }
        send(exchange, problem.status(), PROBLEM_JSON, Json.write(Json.object()
                .put("type", "about:blank")
                .put("title", StatusCodes.getReason(problem.status()))
                .put("status", problem.status())
                .put("detail", problem.detail())
                .put("code", problem.code())));
    }
}
