package dev.overseer.core.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.core.json.Json;
import dev.overseer.core.tool.ToolContext;
import dev.overseer.core.tool.ToolException;
import dev.overseer.core.trace.Tracing;
import io.opentelemetry.api.trace.Span;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One MCP server and Overseer's connection to it (ADR 0023): connected at start and, whenever it fails (a child
 * that exits, an endpoint that stops answering), connected again with backoff on a thread of its own, while calls
 * made meanwhile end in an error. One connection serves every run: each call carries its own progress token, so
 * its progress and its cancellation reach that call and no other.
 */
final class McpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(McpServer.class);
    private static final Duration HANDSHAKE = Duration.ofSeconds(20);
    private static final Duration PING_EVERY = Duration.ofSeconds(2);
    private static final Duration PING_TIMEOUT = Duration.ofSeconds(5);
    private static final long FIRST_BACKOFF_MILLIS = 250;
    private static final long MAX_BACKOFF_MILLIS = 30_000;
    /** The only variables a child process inherits from Overseer (SPEC §8); its own {@code env} comes on top. */
    private static final List<String> INHERITED = List.of("PATH", "HOME");
    private static final String CANCELLED = "notifications/cancelled";
    private static final String ENV = new File("/usr/bin/env").canExecute() ? "/usr/bin/env" : "env";

    /** Where a server stands, as {@code /readyz} shows it. */
    enum State {
        CONNECTING("connecting"), CONNECTED("connected"), DISCONNECTED("disconnected"), STOPPED("stopped");

        private final String wire;

        State(String wire) {
            this.wire = wire;
        }

        String wire() {
            return wire;
        }
    }

    /** What happens to a call in flight: its progress, then its end. */
    private sealed interface Signal {
    }

    private record Progress(McpSchema.ProgressNotification notification) implements Signal {
    }

    private record Ended() implements Signal {
    }

    /** One live connection: its client, and the calls in flight on it by progress token. */
    private static final class Connection {
        final McpAsyncClient client;
        final RecordingTransport transport;
        final Map<String, BlockingQueue<Signal>> calls = new ConcurrentHashMap<>();
        final CompletableFuture<Void> broken = new CompletableFuture<>();

        Connection(McpAsyncClient client, RecordingTransport transport) {
            this.client = client;
            this.transport = transport;
        }
    }

    private final McpServerDefinition definition;
    private final McpJsonMapper json = McpJsonDefaults.getMapper();
    private final BiConsumer<McpServer, List<McpSchema.Tool>> onTools;
    private final McpMetrics metrics;
    private final Tracing tracing;
    private final Thread supervisor;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();
    private volatile Connection connection;
    private volatile State state = State.CONNECTING;
    private volatile boolean closed;

    /** Starts connecting at once; {@code onTools} receives the server's tools at each connect and list change. */
    McpServer(McpServerDefinition definition, BiConsumer<McpServer, List<McpSchema.Tool>> onTools, McpMetrics metrics,
            Tracing tracing) {
        this.definition = definition;
        this.onTools = onTools;
        this.metrics = metrics;
        this.tracing = tracing;
        this.supervisor = Thread.ofPlatform().name("overseer-mcp-" + definition.name()).daemon().start(this::keepConnected);
    }

    String name() {
        return definition.name();
    }

    State state() {
        return state;
    }

    /** Waits up to {@code timeout} for the first attempt to connect to end, however it ended. */
    void awaitFirstAttempt(Duration timeout) throws InterruptedException {
        try {
            firstAttempt.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            // Still connecting, or failed: the server's state says which, and the supervisor goes on trying.
        }
    }

    private void keepConnected() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (!closed) {
            Connection current = null;
            try {
                current = connect();
                connection = current;
                state = State.CONNECTED;
                firstAttempt.complete(null);
                backoff = FIRST_BACKOFF_MILLIS;
                LOG.info("MCP server '{}' connected", definition.name());
                watch(current);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.warn("MCP server '{}' is unreachable, connecting again in {} ms: {}", definition.name(),
                            backoff, describe(e));
                }
            } finally {
                connection = null;
                if (current != null) {
                    drop(current);
                }
            }
            if (closed) {
                break;
            }
            state = State.DISCONNECTED;
            firstAttempt.complete(null);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoff));
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
        state = State.STOPPED;
    }

    /** Starts the transport, shakes hands and reads the tools. */
    private Connection connect() {
        RecordingTransport transport = new RecordingTransport(definition.stdio() ? stdio() : http());
        Connection[] made = new Connection[1];
        McpAsyncClient client = McpClient.async(transport)
                .requestTimeout(definition.timeout().plus(Duration.ofSeconds(5)))
                .initializationTimeout(HANDSHAKE)
                .clientInfo(new McpSchema.Implementation("overseer", "0.1.0"))
                .progressConsumer(progress -> Mono.fromRunnable(() -> deliver(made[0], progress)))
                .toolsChangeConsumer(tools -> Mono.fromRunnable(() -> onTools.accept(this, List.copyOf(tools))))
                .build();
        Connection connection = new Connection(client, transport);
        made[0] = connection;
        try {
            client.initialize().block(HANDSHAKE);
            McpSchema.ListToolsResult tools = client.listTools().block(HANDSHAKE);
            onTools.accept(this, tools == null ? List.of() : List.copyOf(tools.tools()));
            return connection;
        } catch (RuntimeException e) {
            drop(connection);
            throw e;
        }
    }

    /** Returns when the connection breaks: a failed ping, or a call that found the transport gone. */
    private void watch(Connection current) throws InterruptedException {
        while (!closed) {
            try {
                current.broken.get(PING_EVERY.toMillis(), TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException e) {
                // Time for a ping.
            } catch (java.util.concurrent.ExecutionException e) {
                return;
            }
            try {
                current.client.ping().block(PING_TIMEOUT);
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.warn("MCP server '{}' stopped answering: {}", definition.name(), describe(e));
                }
                return;
            }
        }
    }

    /** Closes a connection and ends the calls still waiting on it. */
    private void drop(Connection dropped) {
        dropped.broken.complete(null);
        dropped.calls.values().forEach(queue -> queue.add(new Ended()));
        try {
            dropped.client.closeGracefully().block(Duration.ofSeconds(3));
        } catch (RuntimeException e) {
            dropped.client.close();
        }
    }

    private McpClientTransport stdio() {
        // Through env -i, the child gets exactly the variables it is given: not even the few the SDK passes on
        // by default (ADR 0023).
        List<String> command = new ArrayList<>();
        command.add("-i");
        for (String name : INHERITED) {
            String value = System.getenv(name);
            if (value != null && !definition.env().containsKey(name)) {
                command.add(name + "=" + value);
            }
        }
        definition.env().forEach((name, value) -> command.add(name + "=" + value));
        command.add(definition.command());
        command.addAll(definition.args());
        ServerParameters parameters = ServerParameters.builder(ENV).args(command).build();
        String cwd = definition.cwd();
        StdioClientTransport transport = new StdioClientTransport(parameters, json) {
            @Override
            protected ProcessBuilder getProcessBuilder() {
                ProcessBuilder builder = new ProcessBuilder();
                builder.environment().clear();
                if (cwd != null) {
                    builder.directory(new File(cwd));
                }
                return builder;
            }
        };
        transport.setStdErrorHandler(line -> LOG.debug("MCP server '{}' stderr: {}", definition.name(), line));
        return transport;
    }

    private McpClientTransport http() {
        Map<String, String> headers = definition.headers();
        return HttpClientStreamableHttpTransport.builder(definition.url().toString())
                .endpoint(definition.url().getRawPath().isEmpty() ? "/" : definition.url().getRawPath())
                .connectTimeout(Duration.ofSeconds(10))
                .httpRequestCustomizer((request, method, uri, body, context) -> {
                    headers.forEach(request::header);
                    if (context.get(McpCalls.USER) instanceof String user) {
                        request.header("X-Overseer-User", user);
                    }
                    if (context.get(McpCalls.TRACEPARENT) instanceof String parent) {
                        request.header("traceparent", parent);
                    }
                })
                .build();
    }

    /**
     * Calls tool {@code tool} for the run {@code context} describes and waits for its result on the calling (the
     * run's) thread, handing the server's progress to {@code context} as it comes. Interruption (the run was
     * cancelled) sends the server a cancellation and returns at once; so does the server's timeout, as an error.
     */
    JsonNode call(String tool, JsonNode arguments, ToolContext context) throws ToolException, InterruptedException {
        Span span = tracing.startMcpCall(definition.name(), tool, definition.stdio() ? "pipe" : "tcp");
        try {
            return traced(span, tool, arguments, context);
        } catch (ToolException e) {
            Tracing.failed(span, "tool_error", "the MCP call failed");
            throw e;
        } catch (InterruptedException e) {
            Tracing.failed(span, "cancelled", "the run was stopped");
            throw e;
        } finally {
            span.end();
        }
    }

    private JsonNode traced(Span span, String tool, JsonNode arguments, ToolContext context)
            throws ToolException, InterruptedException {
        Connection current = connection;
        if (current == null) {
            metrics.call(definition.name(), "unavailable", 0);
            throw new ToolException("MCP server '" + definition.name() + "' is not connected (" + state.wire() + ")");
        }
        String token = "overseer-" + UUID.randomUUID();
        BlockingQueue<Signal> signals = new LinkedBlockingQueue<>();
        current.calls.put(token, signals);
        long started = System.nanoTime();
        String outcome = "error";
        try {
            McpSchema.CallToolRequest request = McpCalls.request(tool, arguments, token, context, definition.forwardUser());
            CompletableFuture<McpSchema.CallToolResult> result = current.client.callTool(request)
                    .contextWrite(reactor -> reactor.put(McpTransportContext.KEY, McpCalls.transportContext(context,
                            definition.forwardUser(), tracing.traceParentOf(span))))
                    .toFuture();
            result.whenComplete((done, failure) -> signals.add(new Ended()));
            long deadline = started + definition.timeout().toNanos();
            while (!result.isDone()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    cancel(current, token, "timed out");
                    outcome = "timeout";
                    throw new ToolException("MCP server '" + definition.name() + "' did not answer within "
                            + definition.timeout().toSeconds() + " s");
                }
                Signal signal;
                try {
                    signal = signals.poll(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    cancel(current, token, "the run was cancelled");
                    result.cancel(true);
                    outcome = "cancelled";
                    throw e;
                }
                if (signal instanceof Progress progress) {
                    report(progress, context);
                } else if (signal instanceof Ended && !result.isDone()) {
                    outcome = "disconnected";
                    throw new ToolException("MCP server '" + definition.name() + "' disconnected during the call");
                }
            }
            // Progress that came just before the result still comes before it.
            for (Signal left; (left = signals.poll()) != null; ) {
                if (left instanceof Progress progress) {
                    report(progress, context);
                }
            }
            McpSchema.CallToolResult answer;
            try {
                answer = result.join();
            } catch (RuntimeException e) {
                throw new ToolException("MCP server '" + definition.name() + "' failed the call: " + describe(e));
            }
            if (Boolean.TRUE.equals(answer.isError())) {
                outcome = "tool_error";
                throw new ToolException(McpResults.error(answer));
            }
            outcome = "ok";
            return McpResults.result(answer);
        } finally {
            current.calls.remove(token);
            current.transport.forget(token);
            metrics.call(definition.name(), outcome, System.nanoTime() - started);
        }
    }

    private static void report(Progress progress, ToolContext context) {
        McpSchema.ProgressNotification notification = progress.notification();
        context.progress().report(notification.progress() == null ? 0 : notification.progress(), notification.total(),
                notification.message());
    }

    private void deliver(Connection connection, McpSchema.ProgressNotification progress) {
        if (connection == null || progress.progressToken() == null) {
            return;
        }
        BlockingQueue<Signal> signals = connection.calls.get(String.valueOf(progress.progressToken()));
        if (signals != null) {
            signals.add(new Progress(progress));
        }
    }

    /** Tells the server to stop the request that carried {@code token} (MCP {@code notifications/cancelled}). */
    private void cancel(Connection current, String token, String reason) {
        Object requestId = current.transport.requestId(token);
        if (requestId == null) {
            return;
        }
        current.transport.sendMessage(new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION,
                        CANCELLED, Map.of("requestId", requestId, "reason", reason)))
                .subscribe(null, failure -> LOG.debug("could not send a cancellation to MCP server '{}'",
                        definition.name(), failure));
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    /** Stops the connection (and the child process) and the thread that keeps it. */
    @Override
    public void close() {
        closed = true;
        supervisor.interrupt();
        Connection current = connection;
        if (current != null) {
            drop(current);
        }
        try {
            supervisor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        state = State.STOPPED;
    }
}
