package dev.overseer.core.trace;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.TraceParent;
import dev.overseer.core.model.TokenUsage;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The spans Overseer makes (ADR 0030), named and attributed after OpenTelemetry's semantic conventions, GenAI's for
 * agents, model calls and tools: a run is {@code invoke_agent}, each model step {@code chat}, each tool call
 * {@code execute_tool}. Without an exporter configured the API is OpenTelemetry's no-op and every span here is a
 * shared do-nothing object; callers that would compute something only for a span ask {@link #enabled()} first.
 */
@Singleton
public final class Tracing {
    public static final String SCOPE = "dev.overseer";

    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> AGENT_NAME = AttributeKey.stringKey("gen_ai.agent.name");
    static final AttributeKey<String> CONVERSATION = AttributeKey.stringKey("gen_ai.conversation.id");
    static final AttributeKey<String> TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    static final AttributeKey<String> TOOL_CALL_ID = AttributeKey.stringKey("gen_ai.tool.call.id");
    static final AttributeKey<String> TOOL_TYPE = AttributeKey.stringKey("gen_ai.tool.type");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("overseer.run.id");
    static final AttributeKey<String> THREAD_ID = AttributeKey.stringKey("overseer.thread.id");
    static final AttributeKey<String> ORIGIN = AttributeKey.stringKey("overseer.run.origin");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("overseer.run.status");
    static final AttributeKey<String> MCP_METHOD = AttributeKey.stringKey("mcp.method.name");
    static final AttributeKey<String> MCP_SERVER = AttributeKey.stringKey("overseer.mcp.server");
    static final AttributeKey<String> NETWORK_TRANSPORT = AttributeKey.stringKey("network.transport");
    static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system.name");
    static final AttributeKey<Long> DB_BATCH_SIZE = AttributeKey.longKey("db.operation.batch.size");
    static final AttributeKey<String> DB_OPERATION = AttributeKey.stringKey("db.operation.name");

    private static final TextMapGetter<Map<String, String>> MAP_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private static final TextMapGetter<UnaryOperator<String>> HEADER_GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(UnaryOperator<String> carrier) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(UnaryOperator<String> carrier, String key) {
            return carrier == null ? null : carrier.apply(key);
        }
    };

    private final Tracer tracer;
    private final boolean enabled;

    @Inject
    public Tracing(OpenTelemetry telemetry) {
        TracerProvider provider = telemetry.getTracerProvider();
        this.enabled = provider != TracerProvider.noop();
        this.tracer = provider.get(SCOPE);
    }

    /** Tracing off: every span is OpenTelemetry's no-op. */
    public static Tracing disabled() {
        return new Tracing(OpenTelemetry.noop());
    }

    /** Whether spans are recorded and exported. */
    public boolean enabled() {
        return enabled;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** The trace context a request names in its {@code traceparent} / {@code tracestate} headers, if any. */
    public Context extract(UnaryOperator<String> headers) {
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADER_GETTER);
    }

    /** The {@code traceparent} that makes {@code span} the parent of what a run does, when tracing is on. */
    public Optional<TraceParent> traceParentOf(Span span) {
        if (!enabled || !span.getSpanContext().isValid()) {
            return Optional.empty();
        }
        Map<String, String> carrier = new HashMap<>(2);
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), carrier, Map::put);
        return TraceParent.fromHeader(carrier.get("traceparent"));
    }

    /** The run's span, {@code invoke_agent <agent>}, a child of the caller's trace if it named one. */
    public Span startRun(ExecutionContext context, String agent) {
        if (!enabled) {
            return Span.getInvalid();
        }
        Context parent = context.traceParent()
                .map(parentOf -> W3CTraceContextPropagator.getInstance().extract(Context.root(),
                        Map.of("traceparent", parentOf.value()), MAP_GETTER))
                .orElse(Context.root());
        return tracer.spanBuilder("invoke_agent " + agent)
                .setParent(parent)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(OPERATION, "invoke_agent")
                .setAttribute(AGENT_NAME, agent)
                .setAttribute(CONVERSATION, context.threadId().value())
                .setAttribute(RUN_ID, context.runId().value())
                .setAttribute(THREAD_ID, context.threadId().value())
                .setAttribute(ORIGIN, context.origin().label())
                .startSpan();
    }

    /** Records how the run ended on its span; a failure is the span's error. */
    public static void runEnded(Span span, String status, String errorCode, String errorMessage) {
        span.setAttribute(STATUS, status);
        if (errorCode != null) {
            span.setAttribute(ERROR_TYPE, errorCode);
            span.setStatus(StatusCode.ERROR, errorMessage == null ? errorCode : errorMessage);
        }
    }

    /** One model step, {@code chat <model>}, under the current span. */
    public Span startModelCall(String provider, String model) {
        if (!enabled) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder("chat " + model)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(OPERATION, "chat")
                .setAttribute(PROVIDER, provider)
                .setAttribute(REQUEST_MODEL, model)
                .startSpan();
    }

    /** The tokens a model step used, as GenAI's usage attributes. */
    public static void usage(Span span, TokenUsage usage) {
        if (usage != null) {
            span.setAttribute(INPUT_TOKENS, usage.promptTokens());
            span.setAttribute(OUTPUT_TOKENS, usage.completionTokens());
        }
    }

    /** A tool call, {@code execute_tool <tool>}, under the current span; a sub-agent's work nests under it. */
    public Span startToolCall(String tool, String callId, boolean delegation) {
        if (!enabled) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder("execute_tool " + tool)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(OPERATION, "execute_tool")
                .setAttribute(TOOL_NAME, tool)
                .setAttribute(TOOL_CALL_ID, callId)
                .setAttribute(TOOL_TYPE, delegation ? "agent" : "function")
                .startSpan();
    }

    /** The wait for a person's answer to a call that requires approval. */
    public Span startApproval(String tool, String callId) {
        if (!enabled) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder("await_approval " + tool)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(TOOL_NAME, tool)
                .setAttribute(TOOL_CALL_ID, callId)
                .startSpan();
    }

    /** A {@code tools/call} request to MCP server {@code server}, under the current (tool call's) span. */
    public Span startMcpCall(String server, String tool, String transport) {
        if (!enabled) {
            return Span.getInvalid();
        }
        return tracer.spanBuilder("tools/call " + tool)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(MCP_METHOD, "tools/call")
                .setAttribute(TOOL_NAME, tool)
                .setAttribute(MCP_SERVER, server)
                .setAttribute(NETWORK_TRANSPORT, transport)
                .startSpan();
    }

    /**
     * One group commit of the event writer: a root span (a batch serves many runs), linked to the spans of the runs
     * whose admission or outcome it stores.
     */
    public Span startCommit(String databaseSystem, int operations, List<SpanContext> links) {
        if (!enabled) {
            return Span.getInvalid();
        }
        SpanBuilder builder = tracer.spanBuilder("COMMIT overseer")
                .setNoParent()
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(DB_SYSTEM, databaseSystem)
                .setAttribute(DB_OPERATION, "COMMIT")
                .setAttribute(DB_BATCH_SIZE, (long) operations);
        links.forEach(builder::addLink);
        return builder.startSpan();
    }

    /** Marks the span failed with {@code errorType} (a code, not a message that might carry data). */
    public static void failed(Span span, String errorType, String description) {
        span.setAttribute(ERROR_TYPE, errorType);
        span.setStatus(StatusCode.ERROR, description);
    }
}
