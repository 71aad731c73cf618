package dev.overseer.core.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.MessageId;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The event writer's group commit against a real (in-memory) H2: events in chunks, starts, outcomes, and a
 * bad run failing alone. Runs are admitted first, by their own transaction ({@link RunStore#admit}).
 */
@Timeout(30)
class EventWriterTest {
    private static final UserId ALICE = new UserId("alice");

    private final Database database = InMemoryDatabases.open("writer", new SimpleMeterRegistry());
    private final ThreadStore threads = new ThreadStore(database.jdbi());
    private final MessageStore messages = new MessageStore(database.jdbi());
    private final NodeLease node = new NodeLease("node_test", Duration.ofSeconds(15));
    private final RunStore runs = new RunStore(database.jdbi(), threads, Clock.systemUTC(), node);
    private final EventStore events = new EventStore(database.jdbi());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private EventWriter writer;

    private EventWriter writer() {
        if (writer == null) {
            database.migrate();
            writer = new EventWriter(database.jdbi(), runs,
                    new NodeSignals(new DatabaseSettings("jdbc:h2:mem:writer", "", "", 1), database.jdbi(), node), meters);
        }
        return writer;
    }

    @AfterEach
    void close() {
        if (writer != null) {
            writer.close();
        }
        InMemoryDatabases.close(database);
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS);
    }

    private static RunAdmission admission(ThreadId thread, RunId run, boolean newThread, Instant at) {
        return new RunAdmission(newThread ? new ThreadRecord(thread, ALICE, null, "{}", at, at) : null,
                new RunRecord(run, thread, ALICE, "supervisor", RunStatus.QUEUED, "websocket", at, null, null, null,
                        null, null, null),
                RunPositions.next(at),
                new MessageRecord(MessageId.generate(), thread, run, MessageRecord.Role.USER, "What is 6*7?", at),
                null, null);
    }

    private static List<RunEvent> events(RunId run, ThreadId thread, int from, int to, Instant at) {
        List<RunEvent> list = new ArrayList<>();
        for (int seq = from; seq <= to; seq++) {
            list.add(RunEvent.encode(run, thread, seq, at, "supervisor", new EventPayload.AgentThinking("step " + seq)));
        }
        return list;
    }

    private static RunFinish completed(RunId run, ThreadId thread, Instant at) {
        return new RunFinish(run, thread, RunStatus.COMPLETED, at, "6*7 = 42", null, null, MessageId.generate());
    }

    /** Admits a run as the core does before it executes. */
    private void admit(ThreadId thread, RunId run, boolean newThread, Instant at) {
        assertThat(runs.admit(admission(thread, run, newThread, at), Integer.MAX_VALUE)).isEqualTo(RunStore.Admission.ADMITTED);
    }

    @Test
    void aRunStartedAndFinishedInOneBatch_isStoredFinishedWithItsThreadFree() throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Instant at = now();
        EventWriter writer = writer();
        admit(thread, run, true, at);
        assertThat(runs.find(ALICE, run).orElseThrow().status()).isEqualTo(RunStatus.QUEUED);
        assertThat(activeRunOn(thread)).contains(run.value());
        assertThat(activeRuns()).containsExactly(run.value());

        writer.started(run, at);
        events(run, thread, 1, 5, at).forEach(writer::append);
        writer.append(RunEvent.encode(run, thread, 6, at, "supervisor", new EventPayload.RunCompleted("6*7 = 42")));
        writer.finish(completed(run, thread, at.plusMillis(3))).get(5, TimeUnit.SECONDS);

        assertThat(activeRuns()).doesNotContain(run.value());
        RunRecord record = runs.find(ALICE, run).orElseThrow();
        assertThat(record.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(record.output()).isEqualTo("6*7 = 42");
        assertThat(record.startedAt()).isEqualTo(at);
        assertThat(record.finishedAt()).isEqualTo(at.plusMillis(3));
        ThreadRecord storedThread = threads.find(ALICE, thread).orElseThrow();
        assertThat(activeRunOn(thread)).isEmpty();
        assertThat(storedThread.updatedAt()).as("when its run was admitted").isEqualTo(at);
        assertThat(messages.list(thread, null, 10).items()).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER, MessageRecord.Role.ASSISTANT);
        List<RunEvent> replay = events.list(run, thread, 0, 100);
        assertThat(replay).extracting(RunEvent::seq).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(replay.get(5).terminal()).isTrue();
        assertThat(replay.get(5).type()).isEqualTo("run_completed");
        assertThat(replay.get(0).type()).isEqualTo("agent_thinking");
    }

    @Test
    void aStartWrittenBeforeTheFinish_marksTheRunRunningUntilItEnds() throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Instant at = now();
        EventWriter writer = writer();
        admit(thread, run, true, at);
        writer.started(run, at);
        barrier(writer, at);
        assertThat(runs.find(ALICE, run).orElseThrow().status()).isEqualTo(RunStatus.RUNNING);

        events(run, thread, 1, 2, at).forEach(writer::append);
        writer.finish(completed(run, thread, at.plusMillis(1))).get(5, TimeUnit.SECONDS);
        assertThat(runs.find(ALICE, run).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(activeRunOn(thread)).isEmpty();
        assertThat(activeRuns()).isEmpty();
    }

    /**
     * Waits until everything queued so far is committed: a finish completes once its batch is, with what was
     * queued before it.
     */
    private void barrier(EventWriter writer, Instant at) throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        admit(thread, run, true, at);
        writer.finish(completed(run, thread, at)).get(5, TimeUnit.SECONDS);
    }

    /** The run holding the thread, if any ({@code active_runs}, V15). */
    private Optional<String> activeRunOn(ThreadId thread) {
        return database.jdbi().withHandle(handle -> handle.createQuery("SELECT run_id FROM active_runs WHERE thread_id = :thread")
                .bind("thread", thread.value())
                .mapTo(String.class).findOne());
    }

    /** The runs recovery would find active ({@code active_runs}, V11). */
    private List<String> activeRuns() {
        return database.jdbi().withHandle(handle -> handle.createQuery("SELECT run_id FROM active_runs")
                .mapTo(String.class).list());
    }

    @Test
    void aSecondRunOnAnExistingThread_claimsItAndFreesIt() throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId first = RunId.generate();
        Instant at = now();
        EventWriter writer = writer();
        admit(thread, first, true, at);
        writer.finish(completed(first, thread, at)).get(5, TimeUnit.SECONDS);

        RunId second = RunId.generate();
        assertThat(runs.admit(admission(thread, second, false, at.plusMillis(5)), Integer.MAX_VALUE))
                .isEqualTo(RunStore.Admission.ADMITTED);
        assertThat(runs.admit(admission(thread, RunId.generate(), false, at.plusMillis(6)), Integer.MAX_VALUE))
                .isEqualTo(RunStore.Admission.THREAD_BUSY);
        assertThat(activeRunOn(thread)).contains(second.value());
        writer.finish(completed(second, thread, at.plusMillis(9))).get(5, TimeUnit.SECONDS);

        ThreadRecord stored = threads.find(ALICE, thread).orElseThrow();
        assertThat(activeRunOn(thread)).isEmpty();
        assertThat(stored.updatedAt()).as("when its latest run was admitted").isEqualTo(at.plusMillis(5));
        assertThat(messages.list(thread, null, 10).items()).extracting(MessageRecord::runId)
                .containsExactly(first, first, second, second);
    }

    @Test
    void aRunThatCannotBeStored_failsAloneAndTheOthersInItsBatchAreStored() throws Exception {
        Instant at = now();
        EventWriter writer = writer();
        ThreadId missing = ThreadId.generate();
        RunId bad = RunId.generate();
        List<CompletableFuture<Void>> good = new ArrayList<>();
        List<RunId> goodRuns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ThreadId thread = ThreadId.generate();
            RunId run = RunId.generate();
            goodRuns.add(run);
            admit(thread, run, true, at);
            events(run, thread, 1, 3, at).forEach(writer::append);
            good.add(writer.finish(completed(run, thread, at)));
        }
        // Events of a run that was never admitted: its events and outcome fail together.
        events(bad, missing, 1, 2, at).forEach(writer::append);
        CompletableFuture<Void> badFinish = writer.finish(completed(bad, missing, at));

        for (CompletableFuture<Void> future : good) {
            future.get(10, TimeUnit.SECONDS);
        }
        assertThatThrownBy(() -> badFinish.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(runs.find(ALICE, bad)).isEmpty();
        for (RunId run : goodRuns) {
            assertThat(runs.find(ALICE, run).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
        }
    }

    @Test
    void eventsWrittenInSeveralBatches_readBackInOrderFromAnySeq() throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Instant at = now();
        EventWriter writer = writer();
        admit(thread, run, true, at);
        List<RunEvent> sent = new ArrayList<>(events(run, thread, 1, 9, at));
        writer.append(sent.get(0));
        writer.append(sent.get(1));
        writer.append(sent.get(2));
        writer.started(run, at);
        // Each barrier ends one batch of this run's events.
        barrier(writer, at);
        sent.subList(3, 7).forEach(writer::append);
        barrier(writer, at);
        sent.subList(7, 9).forEach(writer::append);
        writer.finish(completed(run, thread, at)).get(5, TimeUnit.SECONDS);

        assertThat(events.list(run, thread, 0, 100)).isEqualTo(sent);
        assertThat(events.list(run, thread, 2, 100)).isEqualTo(sent.subList(2, 9));
        assertThat(events.list(run, thread, 4, 3)).isEqualTo(sent.subList(4, 7));
        assertThat(events.list(run, thread, 9, 100)).isEmpty();
        int lastSeq = database.jdbi().withHandle(handle -> EventStore.lastSeq(handle, run));
        assertThat(lastSeq).isEqualTo(9);
    }

    @Test
    void commits_countTheEventsWritten_andRecordEachBatchSizeAndCommitTime() throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Instant at = now();
        EventWriter writer = writer();
        admit(thread, run, true, at);
        List<RunEvent> sent = events(run, thread, 1, 5, at);
        sent.subList(0, 3).forEach(writer::append);
        barrier(writer, at);
        sent.subList(3, 5).forEach(writer::append);
        writer.finish(completed(run, thread, at)).get(5, TimeUnit.SECONDS);

        assertThat(meters.get("overseer.events.written").counter().count()).isEqualTo(5);
        // At least two commits (the barrier ends one); each one's operations are one sample of the batch size.
        long commits = meters.get("overseer.event.writer.commit.duration").timer().count();
        assertThat(commits).isGreaterThanOrEqualTo(2);
        assertThat(meters.get("overseer.event.writer.commit.duration").timer().totalTime(TimeUnit.NANOSECONDS))
                .isPositive();
        assertThat(meters.get("overseer.event.writer.batch.size").summary().count()).isEqualTo(commits);
        // Five events, the barrier's outcome and the run's outcome.
        assertThat(meters.get("overseer.event.writer.batch.size").summary().totalAmount()).isEqualTo(7);
    }

    @Test
    void eventsLargerThanAChunk_areSplitAcrossChunksAndReadBackWhole() throws Exception {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Instant at = now();
        EventWriter writer = writer();
        admit(thread, run, true, at);
        List<RunEvent> sent = new ArrayList<>();
        for (int seq = 1; seq <= 5; seq++) {
            sent.add(RunEvent.encode(run, thread, seq, at, "supervisor",
                    new EventPayload.AgentMessageDelta(String.valueOf((char) ('a' + seq)).repeat(300_000))));
        }
        // All five in one write, as when they are queued within one batch: 3 fit in a chunk, 2 go in a second.
        database.jdbi().useTransaction(handle -> EventStore.insert(handle, sent));

        int chunks = database.jdbi().withHandle(handle -> handle.createQuery(
                        "SELECT COUNT(*) FROM run_event_chunks WHERE run_id = :run")
                .bind("run", run.value()).mapTo(Integer.class).one());
        assertThat(chunks).isEqualTo(2);
        assertThat(events.list(run, thread, 0, 100)).isEqualTo(sent);
        assertThat(events.list(run, thread, 3, 100)).isEqualTo(sent.subList(3, 5));
    }

    @Test
    void upgradingFromSeparateEventRowsAndKeyColumns_keepsEveryEventAndKey() throws Exception {
        Flyway.configure().dataSource(database.dataSource()).locations("classpath:db/migration").target("5").load()
                .migrate();
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();
        Instant at = now();
        List<RunEvent> sent = events(run, thread, 1, 3, at);
        database.jdbi().useHandle(handle -> {
            handle.execute("INSERT INTO threads (id, user_id, metadata, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)",
                    thread.value(), ALICE.value(), at.toEpochMilli(), at.toEpochMilli());
            handle.execute("""
                    INSERT INTO runs (id, thread_id, user_id, agent, status, origin, created_at, idempotency_key,
                                      idempotency_fingerprint)
                    VALUES (?, ?, ?, 'supervisor', 'completed', 'http', ?, 'http:key-1', 'abc')""",
                    run.value(), thread.value(), ALICE.value(), at.toEpochMilli());
            for (RunEvent event : sent) {
                handle.execute("INSERT INTO run_events (run_id, seq, type, body) VALUES (?, ?, ?, ?)",
                        run.value(), event.seq(), event.type(), event.json());
            }
        });

        writer();

        assertThat(events.list(run, thread, 0, 100)).isEqualTo(sent);
        KeyedRun keyed = runs.findByIdempotencyKey(ALICE, "http:key-1").orElseThrow();
        assertThat(keyed.run().id()).isEqualTo(run);
        assertThat(keyed.fingerprint()).isEqualTo("abc");
    }
}
