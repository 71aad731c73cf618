package dev.overseer.core.supervisor;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.Origin;
import dev.overseer.context.Principal;
import dev.overseer.context.RequestId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.event.RunEventListener;
import dev.overseer.core.mcp.McpMetrics;
import dev.overseer.core.mcp.McpServers;
import dev.overseer.core.mcp.McpSettings;
import dev.overseer.core.metrics.OverseerMetrics;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.OfflineModel;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.Approvals;
import dev.overseer.core.run.RemoteRuns;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.run.RunRegistry;
import dev.overseer.core.run.ThreadWatchers;
import dev.overseer.core.store.ApprovalStore;
import dev.overseer.core.store.Database;
import dev.overseer.core.store.EventStore;
import dev.overseer.core.store.InMemoryDatabases;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.store.NodeLease;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.store.RunStore;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.core.tool.CalculatorTool;
import dev.overseer.core.tool.ClockTool;
import dev.overseer.core.tool.Tool;
import dev.overseer.core.tool.ToolMetrics;
import dev.overseer.core.model.ModelMetrics;
import dev.overseer.core.tool.WaitTool;
import dev.overseer.core.trace.Tracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The supervisor core wired by hand, as the Dagger graph wires it, over a private in-memory H2 database.
 * No transport: tests call {@link RunService} directly.
 */
final class CoreHarness implements AutoCloseable {
    static final int MAX_ACTIVE_RUNS_PER_USER = 5;
    static final NodeLease NODE = new NodeLease("node_harness", Duration.ofSeconds(15));
    /** Held so the level sticks: Flyway logs every migration of every test database through JUL. */
    private static final Logger FLYWAY_LOG = Logger.getLogger("org.flywaydb");

    static {
        FLYWAY_LOG.setLevel(Level.WARNING);
    }

    final Clock clock = Clock.systemUTC();
    final MeterRegistry meters = new SimpleMeterRegistry();
    final OverseerMetrics metrics = new OverseerMetrics(meters);
    final Database database;
    final ThreadStore threads;
    final MessageStore messages;
    final RunStore runs;
    final EventStore events;
    final NodeSignals signals;
    final EventWriter writer;
    final RunRegistry registry;
    final ThreadWatchers watchers;
    final RunLifecycle lifecycle;
    final SupervisorFactory supervisors;
    final AgentCatalog agents;
    final RunService service;

    CoreHarness() {
        this(new OfflineModel(), Duration.ofSeconds(5));
    }

    CoreHarness(ChatModel model, Duration shutdownGrace) {
        this(model, shutdownGrace, 1_000, 1_000);
    }

    /** {@code startsPerSecond} and {@code startBurst}: the per-user start rate limit (generous unless a test says). */
    CoreHarness(ChatModel model, Duration shutdownGrace, double startsPerSecond, int startBurst) {
        database = InMemoryDatabases.open("test", meters);
        database.migrate();
        threads = new ThreadStore(database.jdbi());
        messages = new MessageStore(database.jdbi());
        runs = new RunStore(database.jdbi(), threads, clock, NODE);
        events = new EventStore(database.jdbi());
        signals = new NodeSignals(new DatabaseSettings("jdbc:h2:mem:harness", "", "", 1), database.jdbi(), NODE);
        writer = new EventWriter(database.jdbi(), runs, signals, meters);
        registry = new RunRegistry();
        watchers = new ThreadWatchers();
        lifecycle = new RunLifecycle(writer, registry, metrics);
        Map<String, Tool> tools = Map.of(
                CalculatorTool.NAME, new CalculatorTool(),
                ClockTool.NAME, new ClockTool(clock),
                WaitTool.NAME, new WaitTool());
        McpSettings noServers = new McpSettings(List.of());
        agents = new AgentCatalog(AgentDefinitions.NONE, tools, noServers);
        Approvals approvals = new Approvals(new ApprovalStore(database.jdbi(), signals), signals, clock);
        supervisors = new SupervisorFactory(model, tools, new McpServers(noServers, new McpMetrics(metrics),
                Tracing.disabled()), agents, messages, lifecycle, AgentSettings.DEFAULTS, clock, approvals, Tracing.disabled(),
                new ToolMetrics(meters), new ModelMetrics(meters, OfflineModel.NAME));
        service = new RunService(supervisors, agents, registry, runs, writer, threads, events, watchers,
                new RunLimits(MAX_ACTIVE_RUNS_PER_USER, 100_000, startsPerSecond, startBurst, shutdownGrace),
                AgentSettings.DEFAULTS, lifecycle, clock, metrics, signals,
                new RemoteRuns(signals, events, runs, registry, watchers), approvals);
    }

    /** A run started through {@link RunService} and followed from seq 1, as a transport follows it. */
    record Started(ExecutionContext context, AcceptedRun accepted, List<RunEvent> events,
            CompletableFuture<RunEvent> terminal) {
        RunId runId() {
            return accepted.runId();
        }

        /** The terminal event, once it was sent. */
        RunEvent awaitTerminal() throws Exception {
            return terminal.get(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a run and follows every one of its events; {@code alsoTell} sees each event as it is sent. */
    Started start(ExecutionContext context, RunStart start, RunEventListener alsoTell) {
        AcceptedRun accepted = service.start(context, start);
        List<RunEvent> seen = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<RunEvent> terminal = new CompletableFuture<>();
        service.follow(context.userId(), accepted.runId(), 0, event -> {
            seen.add(event);
            alsoTell.onEvent(event);
            if (event.terminal()) {
                terminal.complete(event);
            }
        });
        return new Started(context, accepted, seen, terminal);
    }

    Started start(ExecutionContext context, RunStart start) {
        return start(context, start, event -> { });
    }

    /** Admits a run exactly as a start does, but never executes it: what a crash right after admission leaves. */
    RunStore.Admission admitWithoutExecuting(ExecutionContext context, String content) {
        return admitWithoutExecuting(context, content, runs);
    }

    /** The same, admitted by {@code node}: the run store of another node on this database. */
    RunStore.Admission admitWithoutExecuting(ExecutionContext context, String content, RunStore node) {
        return admitWithoutExecuting(context, content, node, Integer.MAX_VALUE);
    }

    /** The same, with at most {@code maxActiveRuns} active runs of the user allowed. */
    RunStore.Admission admitWithoutExecuting(ExecutionContext context, String content, RunStore node, int maxActiveRuns) {
        Supervisor supervisor = supervisors.create(context, agents.find(AgentCatalog.DEFAULT_AGENT).orElseThrow());
        return node.admit(supervisor.admission(content, true, null, null), maxActiveRuns);
    }

    /** The run store of another node on this database, named {@code nodeId}, whose clock is {@code clock}. */
    RunStore node(String nodeId, Duration lease, Clock clock) {
        return new RunStore(database.jdbi(), threads, clock, new NodeLease(nodeId, lease));
    }

    /** The run holding the thread, if any ({@code active_runs}, ADR 0022). */
    Optional<String> activeRunOn(ThreadId thread) {
        return database.jdbi().withHandle(handle -> handle.createQuery("SELECT run_id FROM active_runs WHERE thread_id = :thread")
                .bind("thread", thread.value())
                .mapTo(String.class).findOne());
    }

    /** A context as a transport would build it for an HTTP request of {@code user} on {@code thread}. */
    static ExecutionContext context(String user, ThreadId thread) {
        return new ExecutionContext(new Principal(new UserId(user), Instant.now().plusSeconds(3600)), thread,
                RunId.generate(), new Origin.Http(RequestId.generate()));
    }

    /** Cancels whatever is still running, then lets the writer drain and closes the database. */
    @Override
    public void close() throws Exception {
        List<ActiveRun> left = List.copyOf(registry.all());
        left.forEach(run -> run.stop(ActiveRun.StopReason.CANCELLED));
        for (ActiveRun run : left) {
            run.terminal().get(10, TimeUnit.SECONDS);
        }
        writer.close();
        InMemoryDatabases.close(database);
    }
}
