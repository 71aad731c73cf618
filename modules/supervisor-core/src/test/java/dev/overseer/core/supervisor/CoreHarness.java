package dev.overseer.core.supervisor;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.Origin;
import dev.overseer.context.Principal;
import dev.overseer.context.RequestId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.OfflineModel;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.RunLifecycle;
import dev.overseer.core.run.RunRegistry;
import dev.overseer.core.run.ThreadWatchers;
import dev.overseer.core.store.Database;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.store.EventStore;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.MessageStore;
import dev.overseer.core.store.RunStore;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.core.tool.CalculatorTool;
import dev.overseer.core.tool.ClockTool;
import dev.overseer.core.tool.WaitTool;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The supervisor core wired by hand, as the Dagger graph wires it, over a private in-memory H2 database.
 * No transport: tests call {@link RunService} directly.
 */
final class CoreHarness implements AutoCloseable {
    static final int MAX_ACTIVE_RUNS_PER_USER = 5;
    /** Held so the level sticks: Flyway logs every migration of every test database through JUL. */
    private static final Logger FLYWAY_LOG = Logger.getLogger("org.flywaydb");

    static {
        FLYWAY_LOG.setLevel(Level.WARNING);
    }

    final Clock clock = Clock.systemUTC();
    final Database database;
    final ThreadStore threads;
    final MessageStore messages;
    final RunStore runs;
    final EventStore events;
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
        database = Database.open(new DatabaseSettings(
                "jdbc:h2:mem:test-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "", "", 4));
        database.migrate();
        threads = new ThreadStore(database.jdbi());
        messages = new MessageStore(database.jdbi());
        runs = new RunStore(database.jdbi(), threads, messages, clock);
        events = new EventStore(database.jdbi());
        writer = new EventWriter(database.jdbi(), runs);
        registry = new RunRegistry();
        watchers = new ThreadWatchers();
        lifecycle = new RunLifecycle(writer, registry);
        supervisors = new SupervisorFactory(model, Map.of(
                CalculatorTool.NAME, new CalculatorTool(),
                ClockTool.NAME, new ClockTool(clock),
                WaitTool.NAME, new WaitTool()), runs, lifecycle, clock);
        agents = new AgentCatalog();
        service = new RunService(supervisors, agents, registry, runs, threads, events, watchers,
                new RunLimits(MAX_ACTIVE_RUNS_PER_USER, 100_000, shutdownGrace));
    }

    /** A context as a transport would build it for an HTTP request of {@code user} on {@code thread}. */
    static ExecutionContext context(String user, ThreadId thread) {
        return new ExecutionContext(new Principal(new UserId(user), Instant.now().plusSeconds(3600)), thread,
                RunId.generate(), new Origin.Http(RequestId.generate()));
    }

    /** Records every event of a run from seq 1 on, whenever it subscribes. */
    static List<RunEvent> record(ActiveRun run) {
        List<RunEvent> seen = Collections.synchronizedList(new ArrayList<>());
        run.subscribe(0, seen::add);
        return seen;
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
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement()) {
            // The named in-memory database outlives the pool (DB_CLOSE_DELAY=-1) unless it is shut down.
            statement.execute("SHUTDOWN");
        } catch (SQLException closedByShutdown) {
            // H2 closes the connection it shut down with; nothing is left to release.
        }
        database.close();
    }
}
