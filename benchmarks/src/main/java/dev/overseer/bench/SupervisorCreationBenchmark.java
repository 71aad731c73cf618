package dev.overseer.bench;

import dev.overseer.app.OverseerComponent;
import dev.overseer.app.OverseerConfig;
import dev.overseer.context.ConnectionId;
import dev.overseer.context.ExecutionContext;
import dev.overseer.context.Principal;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.context.WebSocketContext;
import dev.overseer.core.supervisor.Agent;
import dev.overseer.core.supervisor.AgentCatalog;
import dev.overseer.core.supervisor.Supervisor;
import dev.overseer.core.supervisor.SupervisorFactory;
import dev.overseer.ws.ConnectionComponent;
import jakarta.websocket.Session;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What a connection and a run cost before any work is done: the connection's context and Dagger scope
 * (as {@code onOpen} builds them), and the supervisor the factory makes for a run's ExecutionContext. The
 * graph is the real one, over an in-memory H2 that these operations never touch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SupervisorCreationBenchmark {
    private Path dataDir;
    private OverseerComponent graph;
    private ConnectionComponent.Factory connections;
    private SupervisorFactory supervisors;
    private Agent agent;
    private Principal principal;
    private Session session;
    private WebSocketContext openContext;

    @Setup(Level.Trial)
    public void buildGraph() throws IOException {
        dataDir = Files.createTempDirectory("overseer-jmh-");
        graph = OverseerComponent.create(OverseerConfig.fromEnvironment(Map.of(
                "OVERSEER_DATA_DIR", dataDir.toString(),
                "OVERSEER_DB_URL", "jdbc:h2:mem:jmh-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "OVERSEER_JWT_SECRET", "a-secret-that-is-at-least-thirty-two-bytes-long"), 0));
        connections = graph.connections();
        supervisors = graph.supervisors();
        agent = graph.agents().find(AgentCatalog.DEFAULT_AGENT).orElseThrow();
        principal = new Principal(new UserId("bench-user"), Instant.now().plusSeconds(3_600));
        session = unusedSession();
        openContext = new WebSocketContext(ConnectionId.generate(), principal, Instant.now());
        // The first scope builds the singletons it depends on; that is start-up, not a connection's cost.
        connections.create(openContext, session).frameHandler();
    }

    @TearDown(Level.Trial)
    public void closeGraph() throws IOException {
        graph.database().close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
    }

    /** A connection's context alone: its generated id and the clock. */
    @Benchmark
    public WebSocketContext webSocketContext() {
        return new WebSocketContext(ConnectionId.generate(), principal, Instant.now());
    }

    /** One generated id ({@code run_…}): the share of the ids in everything below. */
    @Benchmark
    public RunId generatedId() {
        return RunId.generate();
    }

    /** A connection's context, its Dagger scope and the scoped objects onOpen asks for. */
    @Benchmark
    public void connectionScope(Blackhole sink) {
        WebSocketContext context = new WebSocketContext(ConnectionId.generate(), principal, Instant.now());
        ConnectionComponent component = connections.create(context, session);
        sink.consume(component.frameHandler());
        sink.consume(component.outbox());
    }

    /** A run's ExecutionContext (two generated ids) and the supervisor made for it. */
    @Benchmark
    public Supervisor supervisor() {
        ExecutionContext context = openContext.executionContext(ThreadId.generate(), RunId.generate());
        return supervisors.create(context, agent);
    }

    /** The target: scope + context + supervisor, everything a connection's first run needs made. */
    @Benchmark
    public Supervisor scopeContextAndSupervisor(Blackhole sink) {
        WebSocketContext context = new WebSocketContext(ConnectionId.generate(), principal, Instant.now());
        ConnectionComponent component = connections.create(context, session);
        sink.consume(component.frameHandler());
        sink.consume(component.outbox());
        return supervisors.create(context.executionContext(ThreadId.generate(), RunId.generate()), agent);
    }

    /** A Session that is never used: building a scope must not touch the socket. */
    static Session unusedSession() {
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "unused session";
                    default -> throw new IllegalStateException("the session was used: " + method.getName());
                });
    }
}
