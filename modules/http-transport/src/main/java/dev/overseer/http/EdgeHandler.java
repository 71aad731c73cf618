package dev.overseer.http;

import dev.overseer.context.InvalidIdException;
import dev.overseer.context.RequestId;
import dev.overseer.core.auth.CorsPolicy;
import dev.overseer.core.trace.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outermost handler, in front of both transports (the WebSocket upgrade included): gives every
 * request an id ({@code X-Request-Id}, accepted or generated, echoed), answers CORS, and writes one
 * access-log line when the exchange completes. With tracing on, each request is a server span, a child of the
 * caller's {@code traceparent} if it sent one.
 */
public final class EdgeHandler implements HttpHandler {
    /** The request's id, for handlers further in. */
    public static final AttachmentKey<RequestId> REQUEST_ID = AttachmentKey.create(RequestId.class);
    /** Who made the request, once authenticated (for the access log). */
    public static final AttachmentKey<String> USER = AttachmentKey.create(String.class);
    /** The matched route template (for the access log and metrics). */
    public static final AttachmentKey<String> ROUTE = AttachmentKey.create(String.class);
    /** The request's span (invalid while tracing is off). */
    public static final AttachmentKey<Span> SPAN = AttachmentKey.create(Span.class);
    private static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> HTTP_ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
    private static final AttributeKey<String> REQUEST_ID_ATTRIBUTE = AttributeKey.stringKey("overseer.request.id");

    static final HttpString REQUEST_ID_HEADER = HttpString.tryFromString("X-Request-Id");
    private static final HttpString ALLOW_ORIGIN_HEADER = HttpString.tryFromString("Access-Control-Allow-Origin");
    private static final HttpString EXPOSE_HEADERS_HEADER = HttpString.tryFromString("Access-Control-Expose-Headers");
    private static final HttpString REQUEST_METHOD_HEADER = HttpString.tryFromString("Access-Control-Request-Method");
    private static final HttpString ALLOW_METHODS_HEADER = HttpString.tryFromString("Access-Control-Allow-Methods");
    private static final HttpString ALLOW_HEADERS_HEADER = HttpString.tryFromString("Access-Control-Allow-Headers");
    private static final HttpString MAX_AGE_HEADER = HttpString.tryFromString("Access-Control-Max-Age");
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.overseer.access");
    private static final String ALLOWED_METHODS = "GET, POST, PATCH, DELETE, OPTIONS";
    private static final String ALLOWED_HEADERS = "Authorization, Content-Type, Accept, Idempotency-Key, Last-Event-ID, X-Request-Id";
    private static final String EXPOSED_HEADERS = "X-Request-Id, Retry-After, Allow";

    private final CorsPolicy cors;
    private final HttpMetrics metrics;
    private final UnauthenticatedConnections unauthenticated;
    private final Tracing tracing;
    private final UnaryOperator<String> routes;
    private final HttpHandler next;

    /** {@code routes}: the route template a raw request path matches, or null, for the requests answered here. */
    public EdgeHandler(CorsPolicy cors, HttpMetrics metrics, UnauthenticatedConnections unauthenticated,
            Tracing tracing, UnaryOperator<String> routes, HttpHandler next) {
        this.cors = cors;
        this.tracing = tracing;
        this.metrics = metrics;
        this.unauthenticated = unauthenticated;
        this.routes = routes;
        this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        long started = System.nanoTime();
        RequestId requestId = requestId(exchange.getRequestHeaders().getFirst(REQUEST_ID_HEADER));
        exchange.putAttachment(REQUEST_ID, requestId);
        exchange.getResponseHeaders().put(REQUEST_ID_HEADER, requestId.value());
        Span span = tracing.enabled() ? startSpan(exchange, requestId) : Span.getInvalid();
        exchange.putAttachment(SPAN, span);
        exchange.addExchangeCompleteListener((done, nextListener) -> {
            try {
                if (tracing.enabled()) {
                    endSpan(span, done);
                }
                if (done.getStatusCode() == 101) {
                    // Upgrades succeed only with a valid token (UpgradeGate).
                    unauthenticated.authenticated(done);
                } else {
                    unauthenticated.answered(done);
                }
                long micros = (System.nanoTime() - started) / 1_000;
                String route = done.getAttachment(ROUTE);
                metrics.request(done.getRequestMethod().toString(), route == null ? "unmatched" : route,
                        done.getStatusCode(), micros);
                if (ACCESS.isInfoEnabled()) {
                    String user = done.getAttachment(USER);
                    InetSocketAddress remote = done.getSourceAddress();
                    // The same as fields, for the JSON log format (ADR 0027).
                    ACCESS.atInfo()
                            .addKeyValue("method", done.getRequestMethod().toString())
                            .addKeyValue("route", route == null ? "unmatched" : route)
                            .addKeyValue("status", done.getStatusCode())
                            .addKeyValue("duration_ms", micros / 1_000)
                            .addKeyValue("request_id", requestId.value())
                            .addKeyValue("user_id", user == null ? "-" : user)
                            .log("{} {} {} {}ms request_id={} user={} remote={}", done.getRequestMethod(),
                                    done.getRequestPath(), done.getStatusCode(), micros / 1_000, requestId,
                                    user == null ? "-" : user,
                                    remote == null ? "-" : remote.getAddress().getHostAddress());
                }
            } finally {
                nextListener.proceed();
            }
        });
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (cors.allows(origin)) {
            HeaderMap headers = exchange.getResponseHeaders();
            headers.put(ALLOW_ORIGIN_HEADER, cors.anyOrigin() ? "*" : origin);
            headers.put(EXPOSE_HEADERS_HEADER, EXPOSED_HEADERS);
            if (!cors.anyOrigin()) {
                headers.add(Headers.VARY, "Origin");
            }
            if (exchange.getRequestMethod().equals(Methods.OPTIONS)
                    && exchange.getRequestHeaders().contains(REQUEST_METHOD_HEADER)) {
                headers.put(ALLOW_METHODS_HEADER, ALLOWED_METHODS);
                headers.put(ALLOW_HEADERS_HEADER, ALLOWED_HEADERS);
                headers.put(MAX_AGE_HEADER, "600");
                String route = routes.apply(exchange.getRequestPath());
                if (route != null) {
                    exchange.putAttachment(ROUTE, route);
                }
                exchange.setStatusCode(204);
                exchange.endExchange();
                return;
            }
        }
        next.handleRequest(exchange);
    }

    private Span startSpan(HttpServerExchange exchange, RequestId requestId) {
        HeaderMap headers = exchange.getRequestHeaders();
        String method = exchange.getRequestMethod().toString();
        return tracing.tracer().spanBuilder(method)
                .setParent(tracing.extract(headers::getFirst))
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(HTTP_METHOD, method)
                .setAttribute(URL_PATH, exchange.getRequestPath())
                .setAttribute(URL_SCHEME, exchange.getRequestScheme())
                .setAttribute(REQUEST_ID_ATTRIBUTE, requestId.value())
                .startSpan();
    }

    /** Names the span after its route, as the HTTP conventions ask ({@code GET /api/runs/{run_id}}). */
    private static void endSpan(Span span, HttpServerExchange done) {
        String route = done.getAttachment(ROUTE);
        if (route != null) {
            span.updateName(done.getRequestMethod() + " " + route);
            span.setAttribute(HTTP_ROUTE, route);
        }
        span.setAttribute(HTTP_STATUS, (long) done.getStatusCode());
        if (done.getStatusCode() >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    private static RequestId requestId(String given) {
        if (given != null) {
            try {
                return new RequestId(given);
            } catch (InvalidIdException e) {
                // an unusable id is replaced by one of ours
            }
        }
        return RequestId.generate();
    }
}
