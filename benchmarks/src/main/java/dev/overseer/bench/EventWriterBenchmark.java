package dev.overseer.bench;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.json.Json;
import dev.overseer.core.store.Database;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.store.EventWriter;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.RunAdmission;
import dev.overseer.core.store.RunFinish;
import dev.overseer.core.store.RunPositions;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.store.NodeLease;
import dev.overseer.core.store.NodeSignals;
import dev.overseer.core.store.RunStore;
import dev.overseer.core.store.ThreadRecord;
import dev.overseer.core.store.ThreadStore;
import com.fasterxml.jackson.databind.node.LongNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A run's writes, in isolation: what the {@link EventWriter} costs per "What is 6*7?" run when 64 runs
 * write at once, as in the 64-connection load (the admission on a new thread in its own transaction, started, five events, the
 * terminal event, the outcome, waiting for the group commit). Over the default file H2. The score is the wall time per run; 1e6 / score is what the writer can sustain in runs/s. On a
 * shared machine wall time drifts with other work, so each iteration also prints the CPU time per run of
 * the writer thread and of the whole process (which includes H2's background threads): steadier numbers
 * for comparing two versions of the writer.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(1)
public class EventWriterBenchmark {
    static final int RUNS = 2_048;
    static final int CONCURRENT_RUNS = 64;

    private Path dataDir;
    private Database database;
    private RunStore runs;
    private EventWriter writer;
    private List<PreparedRun> prepared;
    private final ThreadMXBean threadCpu = ManagementFactory.getThreadMXBean();
    private final OperatingSystemMXBean processCpu =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private long writerThreadId = -1;
    private long writerCpuNanos;
    private long processCpuNanos;

    private record PreparedRun(RunAdmission admission, RunId runId, ThreadId threadId, List<RunEvent> events,
            RunEvent terminal, RunFinish finish) {
    }

    @Setup(Level.Trial)
    public void openDatabase() throws IOException {
        dataDir = Files.createTempDirectory("overseer-jmh-writer-");
        DatabaseSettings settings = new DatabaseSettings("jdbc:h2:file:" + dataDir.resolve("overseer"), "", "", 16);
        database = Database.open(settings, new SimpleMeterRegistry());
        database.migrate();
        Jdbi jdbi = database.jdbi();
        NodeLease node = new NodeLease("node_bench", Duration.ofSeconds(15));
        runs = new RunStore(jdbi, new ThreadStore(jdbi), Clock.systemUTC(), node);
        writer = new EventWriter(jdbi, runs, new NodeSignals(settings, jdbi, node), new SimpleMeterRegistry());
    }

    /** Prepares the runs of the next iteration, each on its own new thread. */
    @Setup(Level.Iteration)
    public void prepareRuns() {
        prepared = new ArrayList<>(RUNS);
        UserId user = new UserId("bench-writer");
        for (int i = 0; i < RUNS; i++) {
            Instant now = Instant.now();
            ThreadId threadId = ThreadId.generate();
            RunId runId = RunId.generate();
            RunAdmission admission = new RunAdmission(
                    new ThreadRecord(threadId, user, null, "{}", now, now),
                    new RunRecord(runId, threadId, user, "supervisor", RunStatus.QUEUED, "websocket", now, null, null,
                            null, null, null, null),
                    RunPositions.next(now),
                    new MessageRecord(MessageId.generate(), threadId, runId, MessageRecord.Role.USER, "What is 6*7?", now),
                    null, null);
            prepared.add(new PreparedRun(admission, runId, threadId, List.of(
                    RunEvent.encode(runId, threadId, 1, now, "supervisor", new EventPayload.AgentStarted(null)),
                    RunEvent.encode(runId, threadId, 2, now, "supervisor",
                            new EventPayload.AgentThinking("Calculating 6*7 with the calculator tool.")),
                    RunEvent.encode(runId, threadId, 3, now, "supervisor", new EventPayload.ToolExecuting("call_1",
                            "calculator", Json.object().put("expression", "6*7"))),
                    RunEvent.encode(runId, threadId, 4, now, "supervisor", new EventPayload.ToolCompleted("call_1",
                            "calculator", LongNode.valueOf(42), 0, null)),
                    RunEvent.encode(runId, threadId, 5, now, "supervisor", new EventPayload.AgentCompleted("6*7 = 42"))),
                    RunEvent.encode(runId, threadId, 6, now, "supervisor", new EventPayload.RunCompleted("6*7 = 42")),
                    new RunFinish(runId, threadId, RunStatus.COMPLETED, now, "6*7 = 42", null, null,
                            MessageId.generate())));
        }
    }

    /** Prints this iteration's CPU per run: the writer thread's and the whole process's. */
    @TearDown(Level.Iteration)
    public void reportCpu() {
        System.out.printf("%n  cpu per run: writer thread %.1f us, process %.1f us%n", writerCpuNanos / 1e3 / RUNS,
                processCpuNanos / 1e3 / RUNS);
    }

    @TearDown(Level.Trial)
    public void closeDatabase() throws IOException {
        writer.close();
        database.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
    }

    /** 64 virtual threads write the prepared runs, each waiting for its run to be durable. */
    @Benchmark
    @OperationsPerInvocation(RUNS)
    public void runs() throws InterruptedException {
        long writerAtStart = writerCpu();
        long processAtStart = processCpu.getProcessCpuTime();
        AtomicInteger next = new AtomicInteger();
        List<Thread> threads = new ArrayList<>(CONCURRENT_RUNS);
        for (int t = 0; t < CONCURRENT_RUNS; t++) {
            threads.add(Thread.ofVirtual().start(() -> {
                int i;
                while ((i = next.getAndIncrement()) < RUNS) {
                    PreparedRun run = prepared.get(i);
                    if (runs.admit(run.admission(), Integer.MAX_VALUE) != RunStore.Admission.ADMITTED) {
                        throw new IllegalStateException("a prepared run was not admitted");
                    }
                    writer.started(run.runId(), Instant.now());
                    run.events().forEach(writer::append);
                    writer.append(run.terminal());
                    try {
                        writer.finish(run.finish()).get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                        throw new IllegalStateException("a run's end was not written", e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        writerCpuNanos = writerCpu() - writerAtStart;
        processCpuNanos = processCpu.getProcessCpuTime() - processAtStart;
    }

    private long writerCpu() {
        if (writerThreadId < 0) {
            for (ThreadInfo info : threadCpu.getThreadInfo(threadCpu.getAllThreadIds())) {
                if (info != null && info.getThreadName().equals("overseer-event-writer")) {
                    writerThreadId = info.getThreadId();
                }
            }
        }
        return writerThreadId < 0 ? 0 : threadCpu.getThreadCpuTime(writerThreadId);
    }
}
