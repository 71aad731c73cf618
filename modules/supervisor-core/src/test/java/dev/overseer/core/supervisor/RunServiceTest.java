package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.ExecutionContext;
import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.json.Json;
import dev.overseer.core.run.ActiveRun;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.run.RunRejectedException.Reason;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.store.ThreadStore;
import dev.overseer.core.supervisor.CoreHarness.Started;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The supervisor core end to end, without transports: runs, their events, storage and refusals. */
@Timeout(30)
class RunServiceTest {
    private static final UserId ALICE = new UserId("alice");
    private static final UserId BOB = new UserId("bob");

    private final CoreHarness core = new CoreHarness();

    @AfterEach
    void close() throws Exception {
        core.close();
    }

    private Started start(String user, ThreadId thread, String content, boolean newThread) {
        return core.start(context(user, thread), new RunStart(content, null, newThread));
    }

    private Started startOnNewThread(String content) {
        return start("alice", ThreadId.generate(), content, true);
    }

    private static List<String> types(List<RunEvent> events) {
        return List.copyOf(events).stream().map(RunEvent::type).toList();
    }

    private static List<Integer> seqs(List<RunEvent> events) {
        return List.copyOf(events).stream().map(RunEvent::seq).toList();
    }

    private static List<String> jsons(List<RunEvent> events) {
        return List.copyOf(events).stream().map(RunEvent::json).toList();
    }

    private static Reason rejectionOf(Runnable action) {
        try {
            action.run();
        } catch (RunRejectedException e) {
            return e.reason();
        }
        throw new AssertionError("expected a RunRejectedException");
    }

    /** Waits until the finished run has left the registry, so reads come from the database. */
    private void awaitGone(UserId user, RunId run) {
        await().atMost(Duration.ofSeconds(5)).until(() -> core.service.active(user, run).isEmpty());
    }

    @Test
    void start_arithmetic_emitsTheSpecEventsInOrder() throws Exception {
        Started run = startOnNewThread("What is 6*7?");

        RunEvent terminal = run.awaitTerminal();

        assertThat(run.accepted().repeated()).isFalse();
        assertThat(run.accepted().threadId()).isEqualTo(run.context().threadId());
        assertThat(types(run.events())).containsExactly("agent_started", "agent_thinking", "tool_executing",
                "tool_completed", "agent_completed", "run_completed");
        assertThat(seqs(run.events())).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(terminal).isEqualTo(run.events().get(5));
        for (RunEvent event : run.events()) {
            JsonNode json = Json.readTrusted(event.json());
            assertThat(json.get("run_id").asText()).isEqualTo(run.runId().value());
            assertThat(json.get("thread_id").asText()).isEqualTo(run.context().threadId().value());
            assertThat(json.get("seq").asInt()).isEqualTo(event.seq());
            assertThat(json.get("type").asText()).isEqualTo(event.type());
            assertThat(json.get("agent").asText()).isEqualTo("supervisor");
        }
        JsonNode executing = Json.readTrusted(run.events().get(2).json()).get("payload");
        assertThat(executing.get("tool").asText()).isEqualTo("calculator");
        assertThat(Json.write(executing.get("arguments"))).isEqualTo("{\"expression\":\"6*7\"}");
        JsonNode completed = Json.readTrusted(run.events().get(3).json()).get("payload");
        assertThat(completed.get("tool_call_id").asText()).isEqualTo(executing.get("tool_call_id").asText());
        assertThat(Json.write(completed.get("result"))).isEqualTo("42");
        assertThat(completed.get("error").isNull()).isTrue();
        assertThat(completed.get("duration_ms").asLong()).isNotNegative();
        assertThat(Json.readTrusted(terminal.json()).path("payload").path("output").asText()).contains("42");
    }

    @Test
    void events_afterCompletion_replaysTheLiveJsonFromTheDatabase() throws Exception {
        Started run = startOnNewThread("What is 6*7?");
        run.awaitTerminal();
        awaitGone(ALICE, run.runId());

        List<RunEvent> replay = core.service.events(ALICE, run.runId(), 0);

        assertThat(jsons(replay)).isEqualTo(jsons(run.events())).hasSize(6);
        assertThat(jsons(core.events.list(run.runId(), run.context().threadId(), 0, 100)))
                .isEqualTo(jsons(run.events()));
        assertThat(replay.get(5).terminal()).isTrue();
        assertThat(seqs(core.service.events(ALICE, run.runId(), 3))).containsExactly(4, 5, 6);
        assertThat(core.service.events(ALICE, run.runId(), 6)).isEmpty();
    }

    @Test
    void follow_afterCompletion_replaysFromTheDatabaseAndEnds() throws Exception {
        Started run = startOnNewThread("What is 6*7?");
        run.awaitTerminal();
        awaitGone(ALICE, run.runId());
        List<RunEvent> followed = new ArrayList<>();

        Optional<ActiveRun> stream = core.service.follow(ALICE, run.runId(), 2, followed::add);

        assertThat(stream).isEmpty();
        assertThat(jsons(followed)).isEqualTo(jsons(run.events().subList(2, 6)));
    }

    @Test
    void start_arithmetic_storesCompletedRunAndBothMessages() throws Exception {
        Started run = startOnNewThread("What is 6*7?");
        RunEvent terminal = run.awaitTerminal();

        RunRecord stored = core.service.find(ALICE, run.runId()).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(stored.output()).contains("42");
        assertThat(stored.output()).isEqualTo(Json.readTrusted(terminal.json()).path("payload").path("output").asText());
        assertThat(stored.threadId()).isEqualTo(run.context().threadId());
        assertThat(stored.agent()).isEqualTo("supervisor");
        assertThat(stored.origin()).isEqualTo("http");
        assertThat(stored.createdAt()).isNotNull();
        assertThat(stored.startedAt()).isNotNull();
        assertThat(stored.finishedAt()).isNotNull().isAfterOrEqualTo(stored.startedAt());
        assertThat(stored.errorCode()).isNull();

        List<MessageRecord> messages = core.messages.list(run.context().threadId(), null, 20).items();
        assertThat(messages).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER, MessageRecord.Role.ASSISTANT);
        assertThat(messages).extracting(MessageRecord::content).containsExactly("What is 6*7?", stored.output());
        assertThat(messages).extracting(MessageRecord::runId).containsOnly(run.runId());
        assertThat(core.activeRunOn(run.context().threadId())).isEmpty();
    }

    @Test
    void start_plainText_completesWithTheEchoAndNoTool() throws Exception {
        Started run = startOnNewThread("hello there");
        run.awaitTerminal();

        assertThat(types(run.events())).containsExactly("agent_started", "agent_thinking", "agent_completed",
                "run_completed");
        assertThat(core.service.find(ALICE, run.runId()).orElseThrow().output()).contains("hello there");
    }

    @Test
    void start_secondRunOnTheSameThread_afterTheFirstFinished_isAdmitted() throws Exception {
        ThreadId thread = ThreadId.generate();
        start("alice", thread, "What is 6*7?", true).awaitTerminal();

        Started second = start("alice", thread, "hello there", false);
        second.awaitTerminal();

        assertThat(core.messages.list(thread, null, 20).items()).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER, MessageRecord.Role.ASSISTANT, MessageRecord.Role.USER,
                        MessageRecord.Role.ASSISTANT);
        assertThat(core.service.find(ALICE, second.runId()).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void start_whileTheThreadHasAnActiveRun_isThreadBusy() throws Exception {
        ThreadId thread = ThreadId.generate();
        Started waiting = start("alice", thread, "wait 2 seconds", true);
        ExecutionContext second = context("alice", thread);

        assertThat(rejectionOf(() -> core.service.start(second, new RunStart("What is 6*7?", null, false))))
                .isEqualTo(Reason.THREAD_BUSY);

        assertThat(waiting.terminal()).isNotDone();
        assertThat(core.service.find(ALICE, second.runId())).isEmpty();
        assertThat(core.messages.list(thread, null, 20).items()).extracting(MessageRecord::content)
                .containsExactly("wait 2 seconds");
        assertThat(core.registry.activeCount(ALICE)).isEqualTo(1);
        assertThat(waiting.awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void start_onAnotherUsersThread_isNotFound() throws Exception {
        ThreadId alicesThread = ThreadId.generate();
        start("alice", alicesThread, "hello", true).awaitTerminal();
        ExecutionContext bobs = context("bob", alicesThread);

        assertThat(rejectionOf(() -> core.service.start(bobs, new RunStart("hello", null, false))))
                .isEqualTo(Reason.NOT_FOUND);

        assertThat(core.service.find(BOB, bobs.runId())).isEmpty();
        assertThat(core.messages.list(alicesThread, null, 20).items()).extracting(MessageRecord::content)
                .containsExactly("hello", "You said: hello");
        assertThat(core.registry.activeCount(BOB)).isZero();
    }

    @Test
    void start_onUnknownThread_isNotFound() {
        ExecutionContext context = context("alice", ThreadId.generate());

        assertThat(rejectionOf(() -> core.service.start(context, new RunStart("hello", null, false))))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(core.registry.activeCount(ALICE)).isZero();
    }

    @Test
    void start_blankOrMissingContent_isInvalidMessage() {
        ExecutionContext context = context("alice", ThreadId.generate());

        for (String content : new String[] {"", "   ", "\n\t", null}) {
            assertThatThrownBy(() -> core.service.start(context, new RunStart(content, null, true)))
                    .isInstanceOfSatisfying(RunRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_MESSAGE))
                    .hasMessage("content must be a non-blank string");
        }
        assertThat(core.threads.find(ALICE, context.threadId())).isEmpty();
        assertThat(core.registry.activeCount(ALICE)).isZero();
    }

    @Test
    void start_overLongContent_isInvalidMessage() {
        ExecutionContext context = context("alice", ThreadId.generate());

        assertThatThrownBy(() -> core.service.start(context, new RunStart("x".repeat(100_001), null, true)))
                .isInstanceOfSatisfying(RunRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_MESSAGE))
                .hasMessageContaining("100000");
    }

    @Test
    void start_unknownAgent_isInvalidMessage() {
        ExecutionContext context = context("alice", ThreadId.generate());

        assertThatThrownBy(() -> core.service.start(context, new RunStart("hello", "hacker", true)))
                .isInstanceOfSatisfying(RunRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_MESSAGE))
                .hasMessageContaining("hacker");
        assertThat(core.threads.find(ALICE, context.threadId())).isEmpty();
    }

    @Test
    void cancel_activeWaitRun_endsCancelledQuickly() throws Exception {
        Started run = startOnNewThread("wait 30 seconds");
        await().atMost(Duration.ofSeconds(5)).until(() -> types(run.events()).contains("tool_executing"));

        long cancelledAt = System.nanoTime();
        core.service.cancel(ALICE, run.runId());
        RunEvent terminal = run.terminal().get(2, TimeUnit.SECONDS);

        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(2));
        assertThat(terminal.type()).isEqualTo("run_cancelled");
        assertThat(Json.write(Json.readTrusted(terminal.json()).get("payload"))).isEqualTo("{}");
        assertThat(types(run.events())).last().isEqualTo("run_cancelled");
        assertThat(run.events()).filteredOn(RunEvent::terminal).hasSize(1);
        assertThat(seqs(run.events())).isEqualTo(IntStream.rangeClosed(1, run.events().size()).boxed().toList());

        RunRecord stored = core.service.find(ALICE, run.runId()).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(stored.finishedAt()).isNotNull();
        assertThat(stored.output()).isNull();
        assertThat(core.messages.list(run.context().threadId(), null, 20).items()).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER);
        awaitGone(ALICE, run.runId());
        assertThat(jsons(core.service.events(ALICE, run.runId(), 0))).isEqualTo(jsons(run.events()));
    }

    @Test
    void cancel_freesTheThreadForTheNextRun() throws Exception {
        ThreadId thread = ThreadId.generate();
        Started waiting = start("alice", thread, "wait 30 seconds", true);
        core.service.cancel(ALICE, waiting.runId());
        waiting.awaitTerminal();

        Started next = start("alice", thread, "What is 6*7?", false);

        assertThat(next.awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void cancel_finishedRun_isRunNotActive() throws Exception {
        Started run = startOnNewThread("What is 6*7?");
        run.awaitTerminal();

        assertThat(rejectionOf(() -> core.service.cancel(ALICE, run.runId()))).isEqualTo(Reason.RUN_NOT_ACTIVE);
        awaitGone(ALICE, run.runId());
        assertThat(rejectionOf(() -> core.service.cancel(ALICE, run.runId()))).isEqualTo(Reason.RUN_NOT_ACTIVE);
        assertThat(core.service.find(ALICE, run.runId()).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void cancel_unknownOrAnotherUsersRun_isNotFound() {
        Started run = startOnNewThread("wait 30 seconds");

        assertThat(rejectionOf(() -> core.service.cancel(BOB, run.runId()))).isEqualTo(Reason.NOT_FOUND);
        assertThat(rejectionOf(() -> core.service.cancel(ALICE, RunId.generate()))).isEqualTo(Reason.NOT_FOUND);
        assertThat(run.terminal()).isNotDone();
    }

    @Test
    void events_ofAnotherUsersRun_isNotFound() {
        Started run = startOnNewThread("wait 30 seconds");

        assertThat(rejectionOf(() -> core.service.events(BOB, run.runId(), 0))).isEqualTo(Reason.NOT_FOUND);
        assertThat(rejectionOf(() -> core.service.follow(BOB, run.runId(), 0, event -> { })))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(core.service.find(BOB, run.runId())).isEmpty();
        assertThat(core.service.active(BOB, run.runId())).isEmpty();
        assertThat(core.service.active(ALICE, run.runId())).isPresent();
    }

    @Test
    void start_moreThanTheActiveRunLimit_isTooManyRuns() throws Exception {
        List<Started> waiting = new ArrayList<>();
        for (int i = 0; i < CoreHarness.MAX_ACTIVE_RUNS_PER_USER; i++) {
            waiting.add(startOnNewThread("wait 30 seconds"));
        }
        ExecutionContext oneTooMany = context("alice", ThreadId.generate());

        assertThat(rejectionOf(() -> core.service.start(oneTooMany, new RunStart("hello", null, true))))
                .isEqualTo(Reason.TOO_MANY_RUNS);
        assertThat(core.threads.find(ALICE, oneTooMany.threadId())).isEmpty();

        assertThat(start("bob", ThreadId.generate(), "hello", true).awaitTerminal().type()).isEqualTo("run_completed");

        Started first = waiting.get(0);
        core.service.cancel(ALICE, first.runId());
        first.awaitTerminal();
        awaitGone(ALICE, first.runId());
        assertThat(startOnNewThread("hello").awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void watchThread_hearsOfEveryLaterRunOnTheThread() throws Exception {
        ThreadId thread = ThreadId.generate();
        start("alice", thread, "hello", true).awaitTerminal();
        List<ActiveRun> heard = Collections.synchronizedList(new ArrayList<>());
        Runnable stopWatching = core.service.watchThread(ALICE, thread, heard::add);

        Started next = start("alice", thread, "What is 6*7?", false);
        next.awaitTerminal();
        startOnNewThread("hi").awaitTerminal();

        assertThat(heard).extracting(ActiveRun::runId).containsExactly(next.runId());
        stopWatching.run();
        start("alice", thread, "again", false).awaitTerminal();
        assertThat(heard).hasSize(1);
        assertThat(core.watchers.watchedThreads()).isZero();
    }

    @Test
    void watchThread_anotherUsersThread_isNotFound() throws Exception {
        ThreadId alicesThread = ThreadId.generate();
        start("alice", alicesThread, "hello", true).awaitTerminal();

        assertThat(rejectionOf(() -> core.service.watchThread(BOB, alicesThread, run -> { })))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(rejectionOf(() -> core.service.watchThread(ALICE, ThreadId.generate(), run -> { })))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(core.watchers.watchedThreads()).isZero();
    }

    @Test
    void metrics_countRunsByTransportAndFinalStatus() throws Exception {
        startOnNewThread("What is 6*7?").awaitTerminal();
        Started cancelled = startOnNewThread("wait 30 seconds");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> core.meters.get("overseer.runs.active").gauge().value() == 1.0);
        core.service.cancel(ALICE, cancelled.runId());
        cancelled.awaitTerminal();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(core.meters.counter("overseer.runs.started", "transport", "http").count()).isEqualTo(2);
            assertThat(core.meters.counter("overseer.runs.finished", "transport", "http", "status", "completed")
                    .count()).isEqualTo(1);
            assertThat(core.meters.counter("overseer.runs.finished", "transport", "http", "status", "cancelled")
                    .count()).isEqualTo(1);
            assertThat(core.meters.counter("overseer.events.emitted").count())
                    .isEqualTo(6 + cancelled.events().size());
            assertThat(core.meters.get("overseer.runs.active").gauge().value()).isZero();
        });
    }

    @Test
    void start_returnsOnceTheRunIsStored_withItsLiveStream() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());

        AcceptedRun accepted = core.service.start(context, new RunStart("wait 1 seconds", null, true));

        // Admitted by its own transaction before it executes (ADR 0019): stored, holding its thread.
        assertThat(core.runs.find(ALICE, accepted.runId())).isPresent();
        assertThat(core.activeRunOn(context.threadId())).contains(accepted.runId().value());
        assertThat(core.threads.find(ALICE, context.threadId())).isPresent();
        assertThat(accepted.live().runId()).isEqualTo(accepted.runId());
        RunEvent terminal = accepted.live().terminal().get(10, TimeUnit.SECONDS);
        assertThat(terminal.type()).isEqualTo("run_completed");
    }

    @Test
    void outcome_ofAFinishedRun_isTheRunAsStored() throws Exception {
        AcceptedRun completed = core.service.start(context("alice", ThreadId.generate()),
                new RunStart("What is 6*7?", null, true));
        AcceptedRun cancelled = core.service.start(context("alice", ThreadId.generate()),
                new RunStart("wait 30 seconds", null, true));
        await().atMost(Duration.ofSeconds(5))
                .until(() -> core.runs.find(ALICE, cancelled.runId()).orElseThrow().status() == RunStatus.RUNNING);
        core.service.cancel(ALICE, cancelled.runId());

        for (AcceptedRun run : List.of(completed, cancelled)) {
            run.live().terminal().get(10, TimeUnit.SECONDS);
            assertThat(run.live().outcome()).contains(core.runs.find(ALICE, run.runId()).orElseThrow());
        }
        assertThat(cancelled.live().outcome().orElseThrow().status()).isEqualTo(RunStatus.CANCELLED);
    }

    @Test
    void deleteThread_whileARunHoldsIt_isBusy_andDeletesOnceTheRunEnded() throws Exception {
        ThreadId thread = ThreadId.generate();
        Started run = start("alice", thread, "wait 30 seconds", true);

        assertThat(core.service.deleteThread(ALICE, thread)).isEqualTo(ThreadStore.Deletion.BUSY);
        assertThat(core.service.deleteThread(BOB, thread)).isEqualTo(ThreadStore.Deletion.NOT_FOUND);

        core.service.cancel(ALICE, run.runId());
        run.awaitTerminal();
        assertThat(core.service.deleteThread(ALICE, thread)).isEqualTo(ThreadStore.Deletion.DELETED);
        assertThat(core.threads.find(ALICE, thread)).isEmpty();
        assertThat(core.runs.find(ALICE, run.runId())).isEmpty();
    }

    @Test
    void start_onAThreadBeingDeleted_isBusy() {
        ThreadId thread = ThreadId.generate();
        start("alice", thread, "hello", true);
        await().atMost(Duration.ofSeconds(5)).until(() -> core.registry.activeCount(ALICE) == 0);
        assertThat(core.registry.beginDeletion(thread)).isTrue();
        try {
            assertThat(rejectionOf(() -> start("alice", thread, "hello", false))).isEqualTo(Reason.THREAD_BUSY);
        } finally {
            core.registry.endDeletion(thread);
        }
        assertThat(core.registry.activeCount(ALICE)).isZero();
    }
}
