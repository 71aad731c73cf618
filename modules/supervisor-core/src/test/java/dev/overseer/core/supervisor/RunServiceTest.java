package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static dev.overseer.core.supervisor.CoreHarness.record;
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

@Timeout(30)
class RunServiceTest {
    private static final UserId ALICE = new UserId("alice");
    private static final UserId BOB = new UserId("bob");

    private final CoreHarness core = new CoreHarness();

    @AfterEach
    void close() throws Exception {
        core.close();
    }

    private static RunEvent awaitTerminal(ActiveRun run) throws Exception {
        return run.terminal().get(10, TimeUnit.SECONDS);
    }

    private static List<String> types(List<RunEvent> events) {
        return events.stream().map(RunEvent::type).toList();
    }

    private static List<Integer> seqs(List<RunEvent> events) {
        return events.stream().map(RunEvent::seq).toList();
    }

    private static List<String> jsons(List<RunEvent> events) {
        return events.stream().map(RunEvent::json).toList();
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
    void start_arithmetic_emitsTheSpecEventsAndStoresEverything() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());

        ActiveRun run = core.service.start(context, new RunStart("What is 6*7?", null, true));
        List<RunEvent> live = record(run);
        RunEvent terminal = awaitTerminal(run);

        assertThat(types(live)).containsExactly("agent_started", "agent_thinking", "tool_executing",
                "tool_completed", "agent_completed", "run_completed");
        assertThat(seqs(live)).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(terminal).isEqualTo(live.get(5));
        for (RunEvent event : live) {
            JsonNode json = Json.readTrusted(event.json());
            assertThat(json.get("run_id").asText()).isEqualTo(context.runId().value());
            assertThat(json.get("thread_id").asText()).isEqualTo(context.threadId().value());
            assertThat(json.get("seq").asInt()).isEqualTo(event.seq());
            assertThat(json.get("type").asText()).isEqualTo(event.type());
            assertThat(json.get("agent").asText()).isEqualTo("supervisor");
        }
        JsonNode executing = Json.readTrusted(live.get(2).json()).get("payload");
        assertThat(executing.get("tool").asText()).isEqualTo("calculator");
        assertThat(Json.write(executing.get("arguments"))).isEqualTo("{\"expression\":\"6*7\"}");
        JsonNode completed = Json.readTrusted(live.get(3).json()).get("payload");
        assertThat(completed.get("tool_call_id").asText()).isEqualTo(executing.get("tool_call_id").asText());
        assertThat(Json.write(completed.get("result"))).isEqualTo("42");
        assertThat(completed.get("error").isNull()).isTrue();
        assertThat(completed.get("duration_ms").asLong()).isNotNegative();
        assertThat(Json.readTrusted(terminal.json()).path("payload").path("output").asText()).contains("42");
    }

    @Test
    void events_afterCompletion_replaysTheLiveJsonFromTheDatabase() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());
        ActiveRun run = core.service.start(context, new RunStart("What is 6*7?", null, true));
        List<RunEvent> live = record(run);
        awaitTerminal(run);
        awaitGone(ALICE, context.runId());

        List<RunEvent> replay = core.service.events(ALICE, context.runId(), 0);

        assertThat(jsons(replay)).isEqualTo(jsons(live));
        assertThat(jsons(core.events.list(context.runId(), context.threadId(), 0, 100))).isEqualTo(jsons(live));
        assertThat(replay.get(5).terminal()).isTrue();
        assertThat(seqs(core.service.events(ALICE, context.runId(), 3))).containsExactly(4, 5, 6);
        assertThat(core.service.events(ALICE, context.runId(), 6)).isEmpty();
    }

    @Test
    void follow_afterCompletion_replaysFromTheDatabaseAndEnds() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());
        ActiveRun run = core.service.start(context, new RunStart("What is 6*7?", null, true));
        List<RunEvent> live = record(run);
        awaitTerminal(run);
        awaitGone(ALICE, context.runId());
        List<RunEvent> followed = new ArrayList<>();

        Optional<ActiveRun> stream = core.service.follow(ALICE, context.runId(), 2, followed::add);

        assertThat(stream).isEmpty();
        assertThat(jsons(followed)).isEqualTo(jsons(live.subList(2, 6)));
    }

    @Test
    void start_arithmetic_storesCompletedRunAndBothMessages() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());

        ActiveRun run = core.service.start(context, new RunStart("What is 6*7?", null, true));
        RunEvent terminal = awaitTerminal(run);

        RunRecord stored = core.service.find(ALICE, context.runId()).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(stored.output()).contains("42");
        assertThat(stored.output()).isEqualTo(Json.readTrusted(terminal.json()).path("payload").path("output").asText());
        assertThat(stored.threadId()).isEqualTo(context.threadId());
        assertThat(stored.agent()).isEqualTo("supervisor");
        assertThat(stored.origin()).isEqualTo("http");
        assertThat(stored.createdAt()).isNotNull();
        assertThat(stored.startedAt()).isNotNull();
        assertThat(stored.finishedAt()).isNotNull().isAfterOrEqualTo(stored.startedAt());
        assertThat(stored.errorCode()).isNull();

        List<MessageRecord> messages = core.messages.list(context.threadId(), null, 20).items();
        assertThat(messages).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER, MessageRecord.Role.ASSISTANT);
        assertThat(messages).extracting(MessageRecord::content).containsExactly("What is 6*7?", stored.output());
        assertThat(messages).extracting(MessageRecord::runId).containsOnly(context.runId());
        assertThat(core.threads.find(ALICE, context.threadId()).orElseThrow().activeRunId()).isNull();
    }

    @Test
    void start_plainText_completesWithTheEchoAndNoTool() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());

        ActiveRun run = core.service.start(context, new RunStart("hello there", null, true));
        List<RunEvent> live = record(run);
        awaitTerminal(run);

        assertThat(types(live)).containsExactly("agent_started", "agent_thinking", "agent_completed",
                "run_completed");
        assertThat(core.service.find(ALICE, context.runId()).orElseThrow().output()).contains("hello there");
    }

    @Test
    void start_secondRunOnTheSameThread_afterTheFirstFinished_isAdmitted() throws Exception {
        ThreadId thread = ThreadId.generate();
        awaitTerminal(core.service.start(context("alice", thread), new RunStart("What is 6*7?", null, true)));

        ExecutionContext second = context("alice", thread);
        ActiveRun run = core.service.start(second, new RunStart("hello there", null, false));
        awaitTerminal(run);

        assertThat(core.messages.list(thread, null, 20).items()).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER, MessageRecord.Role.ASSISTANT, MessageRecord.Role.USER,
                        MessageRecord.Role.ASSISTANT);
        assertThat(core.service.find(ALICE, second.runId()).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void start_whileTheThreadHasAnActiveRun_isThreadBusy() throws Exception {
        ThreadId thread = ThreadId.generate();
        ExecutionContext first = context("alice", thread);
        ActiveRun waiting = core.service.start(first, new RunStart("wait 2 seconds", null, true));
        ExecutionContext second = context("alice", thread);

        assertThat(rejectionOf(() -> core.service.start(second, new RunStart("What is 6*7?", null, false))))
                .isEqualTo(Reason.THREAD_BUSY);

        assertThat(waiting.terminal()).isNotDone();
        assertThat(core.service.find(ALICE, second.runId())).isEmpty();
        assertThat(core.messages.list(thread, null, 20).items()).extracting(MessageRecord::content)
                .containsExactly("wait 2 seconds");
        assertThat(core.registry.activeCount(ALICE)).isEqualTo(1);
        assertThat(awaitTerminal(waiting).type()).isEqualTo("run_completed");
    }

    @Test
    void start_onAnotherUsersThread_isNotFound() throws Exception {
        ThreadId alicesThread = ThreadId.generate();
        awaitTerminal(core.service.start(context("alice", alicesThread), new RunStart("hello", null, true)));
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
        ExecutionContext context = context("alice", ThreadId.generate());
        ActiveRun run = core.service.start(context, new RunStart("wait 30 seconds", null, true));
        List<RunEvent> live = record(run);
        await().atMost(Duration.ofSeconds(5)).until(() -> types(live).contains("tool_executing"));

        long cancelledAt = System.nanoTime();
        core.service.cancel(ALICE, context.runId());
        RunEvent terminal = run.terminal().get(2, TimeUnit.SECONDS);

        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(2));
        assertThat(terminal.type()).isEqualTo("run_cancelled");
        assertThat(Json.write(Json.readTrusted(terminal.json()).get("payload"))).isEqualTo("{}");
        assertThat(types(live)).last().isEqualTo("run_cancelled");
        assertThat(live).filteredOn(RunEvent::terminal).hasSize(1);
        assertThat(seqs(live)).isEqualTo(IntStream.rangeClosed(1, live.size()).boxed().toList());

        RunRecord stored = core.service.find(ALICE, context.runId()).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(stored.finishedAt()).isNotNull();
        assertThat(stored.output()).isNull();
        assertThat(core.messages.list(context.threadId(), null, 20).items()).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER);
        awaitGone(ALICE, context.runId());
        assertThat(jsons(core.service.events(ALICE, context.runId(), 0))).isEqualTo(jsons(live));
    }

    @Test
    void cancel_freesTheThreadForTheNextRun() throws Exception {
        ThreadId thread = ThreadId.generate();
        ExecutionContext first = context("alice", thread);
        ActiveRun run = core.service.start(first, new RunStart("wait 30 seconds", null, true));
        core.service.cancel(ALICE, first.runId());
        awaitTerminal(run);

        ActiveRun next = core.service.start(context("alice", thread), new RunStart("What is 6*7?", null, false));

        assertThat(awaitTerminal(next).type()).isEqualTo("run_completed");
    }

    @Test
    void cancel_finishedRun_isRunNotActive() throws Exception {
        ExecutionContext context = context("alice", ThreadId.generate());
        awaitTerminal(core.service.start(context, new RunStart("What is 6*7?", null, true)));

        assertThat(rejectionOf(() -> core.service.cancel(ALICE, context.runId()))).isEqualTo(Reason.RUN_NOT_ACTIVE);
        awaitGone(ALICE, context.runId());
        assertThat(rejectionOf(() -> core.service.cancel(ALICE, context.runId()))).isEqualTo(Reason.RUN_NOT_ACTIVE);
        assertThat(core.service.find(ALICE, context.runId()).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void cancel_unknownOrAnotherUsersRun_isNotFound() {
        ExecutionContext alices = context("alice", ThreadId.generate());
        ActiveRun run = core.service.start(alices, new RunStart("wait 30 seconds", null, true));

        assertThat(rejectionOf(() -> core.service.cancel(BOB, alices.runId()))).isEqualTo(Reason.NOT_FOUND);
        assertThat(rejectionOf(() -> core.service.cancel(ALICE, RunId.generate()))).isEqualTo(Reason.NOT_FOUND);
        assertThat(run.terminal()).isNotDone();
    }

    @Test
    void events_ofAnotherUsersRun_isNotFound() throws Exception {
        ExecutionContext alices = context("alice", ThreadId.generate());
        ActiveRun run = core.service.start(alices, new RunStart("wait 30 seconds", null, true));

        assertThat(rejectionOf(() -> core.service.events(BOB, alices.runId(), 0))).isEqualTo(Reason.NOT_FOUND);
        assertThat(rejectionOf(() -> core.service.follow(BOB, alices.runId(), 0, event -> { })))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(core.service.find(BOB, alices.runId())).isEmpty();
        assertThat(core.service.active(BOB, alices.runId())).isEmpty();
        assertThat(core.service.active(ALICE, alices.runId())).contains(run);
    }

    @Test
    void start_moreThanTheActiveRunLimit_isTooManyRuns() throws Exception {
        List<ExecutionContext> started = new ArrayList<>();
        for (int i = 0; i < CoreHarness.MAX_ACTIVE_RUNS_PER_USER; i++) {
            ExecutionContext context = context("alice", ThreadId.generate());
            core.service.start(context, new RunStart("wait 30 seconds", null, true));
            started.add(context);
        }
        ExecutionContext oneTooMany = context("alice", ThreadId.generate());

        assertThat(rejectionOf(() -> core.service.start(oneTooMany, new RunStart("hello", null, true))))
                .isEqualTo(Reason.TOO_MANY_RUNS);
        assertThat(core.threads.find(ALICE, oneTooMany.threadId())).isEmpty();

        ActiveRun bobs = core.service.start(context("bob", ThreadId.generate()), new RunStart("hello", null, true));
        assertThat(awaitTerminal(bobs).type()).isEqualTo("run_completed");

        RunId freed = started.get(0).runId();
        ActiveRun first = core.service.active(ALICE, freed).orElseThrow();
        core.service.cancel(ALICE, freed);
        awaitTerminal(first);
        awaitGone(ALICE, freed);
        ActiveRun again = core.service.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true));
        assertThat(awaitTerminal(again).type()).isEqualTo("run_completed");
    }

    @Test
    void watchThread_hearsOfEveryLaterRunOnTheThread() throws Exception {
        ThreadId thread = ThreadId.generate();
        awaitTerminal(core.service.start(context("alice", thread), new RunStart("hello", null, true)));
        List<ActiveRun> heard = Collections.synchronizedList(new ArrayList<>());
        Runnable stopWatching = core.service.watchThread(ALICE, thread, heard::add);

        ExecutionContext next = context("alice", thread);
        awaitTerminal(core.service.start(next, new RunStart("What is 6*7?", null, false)));
        awaitTerminal(core.service.start(context("alice", ThreadId.generate()), new RunStart("hi", null, true)));

        assertThat(heard).extracting(ActiveRun::runId).containsExactly(next.runId());
        stopWatching.run();
        awaitTerminal(core.service.start(context("alice", thread), new RunStart("again", null, false)));
        assertThat(heard).hasSize(1);
        assertThat(core.watchers.watchedThreads()).isZero();
    }

    @Test
    void watchThread_anotherUsersThread_isNotFound() throws Exception {
        ThreadId alicesThread = ThreadId.generate();
        awaitTerminal(core.service.start(context("alice", alicesThread), new RunStart("hello", null, true)));

        assertThat(rejectionOf(() -> core.service.watchThread(BOB, alicesThread, run -> { })))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(rejectionOf(() -> core.service.watchThread(ALICE, ThreadId.generate(), run -> { })))
                .isEqualTo(Reason.NOT_FOUND);
        assertThat(core.watchers.watchedThreads()).isZero();
    }
}
