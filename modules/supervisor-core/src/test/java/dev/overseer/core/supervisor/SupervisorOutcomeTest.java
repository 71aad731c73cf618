package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.ExecutionContext;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.json.Json;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.ModelException;
import dev.overseer.core.model.ModelReply;
import dev.overseer.core.model.OfflineModel;
import dev.overseer.core.run.RunRejectedException;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.supervisor.CoreHarness.Started;
import dev.overseer.core.tool.ToolCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** How runs end when the model fails, loops, or the server shuts down, seen through events and storage. */
@Timeout(30)
class SupervisorOutcomeTest {
    private static final UserId ALICE = new UserId("alice");

    private final List<CoreHarness> cores = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (CoreHarness core : cores) {
            core.close();
        }
    }

    private CoreHarness core(ChatModel model, Duration shutdownGrace) {
        return keep(new CoreHarness(model, shutdownGrace));
    }

    private CoreHarness keep(CoreHarness core) {
        cores.add(core);
        return core;
    }

    private CoreHarness core(ChatModel model) {
        return core(model, Duration.ofSeconds(5));
    }

    private static List<String> types(List<RunEvent> events) {
        return events.stream().map(RunEvent::type).toList();
    }

    private static JsonNode payload(RunEvent event) {
        return Json.readTrusted(event.json()).get("payload");
    }

    private static void assertGapless(List<RunEvent> events) {
        assertThat(events).extracting(RunEvent::seq)
                .isEqualTo(IntStream.rangeClosed(1, events.size()).boxed().toList());
        assertThat(events).filteredOn(RunEvent::terminal).singleElement().isEqualTo(events.get(events.size() - 1));
    }

    @Test
    void modelException_endsInAgentErrorAndRunFailedWithItsCode() throws Exception {
        CoreHarness core = core((request, stream) -> {
            throw new ModelException("model_unavailable", "the model answered 503");
        });
        ExecutionContext context = context("alice", ThreadId.generate());

        Started run = core.start(context, new RunStart("hello", null, true));
        run.awaitTerminal();
        List<RunEvent> live = run.events();

        assertThat(types(live)).containsExactly("agent_started", "agent_error", "run_failed");
        assertGapless(live);
        assertThat(Json.write(payload(live.get(1))))
                .isEqualTo("{\"code\":\"model_unavailable\",\"message\":\"the model answered 503\"}");
        assertThat(Json.write(payload(live.get(2))))
                .isEqualTo("{\"code\":\"model_unavailable\",\"message\":\"the model answered 503\"}");
        RunRecord stored = core.service.find(ALICE, context.runId()).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored.errorCode()).isEqualTo("model_unavailable");
        assertThat(stored.errorMessage()).isEqualTo("the model answered 503");
        assertThat(core.messages.list(context.threadId(), null, 20).items()).extracting(MessageRecord::role)
                .containsExactly(MessageRecord.Role.USER);
    }

    @Test
    void unexpectedModelCrash_isAnInternalFailureWithoutDetails() throws Exception {
        CoreHarness core = core((request, stream) -> {
            throw new IllegalStateException("secret stack detail");
        });
        ExecutionContext context = context("alice", ThreadId.generate());

        Started run = core.start(context, new RunStart("hello", null, true));
        RunEvent terminal = run.awaitTerminal();
        List<RunEvent> live = run.events();

        assertThat(types(live)).containsExactly("agent_started", "agent_error", "run_failed");
        assertThat(payload(terminal).get("code").asText()).isEqualTo("internal");
        assertThat(live).extracting(RunEvent::json).noneMatch(json -> json.contains("secret"));
        assertThat(core.service.find(ALICE, context.runId()).orElseThrow().errorCode()).isEqualTo("internal");
    }

    @Test
    void modelThatNeverAnswers_failsAfterTheStepLimit() throws Exception {
        CoreHarness core = core((request, stream) -> new ModelReply.CallTools(null,
                List.of(new ToolCall("call_x", "calculator", Json.object().put("expression", "1+1")))));
        ExecutionContext context = context("alice", ThreadId.generate());

        Started run = core.start(context, new RunStart("loop forever", null, true));
        RunEvent terminal = run.awaitTerminal();
        List<RunEvent> live = run.events();

        assertGapless(live);
        assertThat(live).filteredOn(event -> event.type().equals("tool_executing")).hasSize(AgentSettings.DEFAULTS.maxSteps());
        assertThat(types(live).subList(live.size() - 2, live.size())).containsExactly("agent_error", "run_failed");
        assertThat(payload(terminal).get("code").asText()).isEqualTo("max_steps");
        assertThat(core.service.find(ALICE, context.runId()).orElseThrow().status()).isEqualTo(RunStatus.FAILED);
    }

    @Test
    void toolFailure_isReportedAndTheRunStillCompletes() throws Exception {
        CoreHarness core = core(new OfflineModel());
        ExecutionContext context = context("alice", ThreadId.generate());

        Started run = core.start(context, new RunStart("What is 1/0?", null, true));
        RunEvent terminal = run.awaitTerminal();
        List<RunEvent> live = run.events();

        assertThat(types(live)).containsExactly("agent_started", "agent_thinking", "tool_executing",
                "tool_completed", "agent_completed", "run_completed");
        JsonNode completed = payload(live.get(3));
        assertThat(completed.get("error").asText()).isEqualTo("division by zero");
        assertThat(completed.get("result").isNull()).isTrue();
        assertThat(payload(terminal).get("output").asText()).contains("division by zero");
        assertThat(core.service.find(ALICE, context.runId()).orElseThrow().status()).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void shutdown_stopsRunsPastTheGraceAsInterruptedAndRefusesNewOnes() throws Exception {
        CoreHarness core = core(new OfflineModel(), Duration.ofMillis(200));
        ExecutionContext context = context("alice", ThreadId.generate());
        Started run = core.start(context, new RunStart("wait 30 seconds", null, true));
        List<RunEvent> live = run.events();
        await().atMost(Duration.ofSeconds(5)).until(() -> types(live).contains("tool_executing"));

        core.service.shutdown();

        assertThat(run.terminal()).isDone();
        RunEvent terminal = run.terminal().get();
        assertThat(terminal.type()).isEqualTo("run_failed");
        assertThat(payload(terminal).get("code").asText()).isEqualTo("interrupted");
        assertGapless(live);
        RunRecord stored = core.service.find(ALICE, context.runId()).orElseThrow();
        assertThat(stored.status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored.errorCode()).isEqualTo("interrupted");
        try {
            core.service.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true));
            throw new AssertionError("a start after shutdown must be refused");
        } catch (RunRejectedException e) {
            assertThat(e.reason()).isEqualTo(RunRejectedException.Reason.UNAVAILABLE);
        }
    }

    @Test
    void cancel_acceptedJustBeforeTheAnswer_endsCancelledAndDurable() throws Exception {
        AtomicReference<CoreHarness> harness = new AtomicReference<>();
        AtomicReference<ExecutionContext> current = new AtomicReference<>();
        CountDownLatch followed = new CountDownLatch(1);
        // The model's step returns just as the user's cancel arrives.
        CoreHarness core = core((request, stream) -> {
            followed.await();
            harness.get().service.cancel(ALICE, current.get().runId());
            return new ModelReply.Answer(null, "done");
        });
        harness.set(core);
        ExecutionContext context = context("alice", ThreadId.generate());
        current.set(context);
        CompletableFuture<RunStatus> storedWhenTerminalSent = new CompletableFuture<>();

        Started run = core.start(context, new RunStart("hello", null, true), event -> {
            if (event.terminal()) {
                // Read on another thread: the run's own thread may carry the cancel's interrupt.
                storedWhenTerminalSent.complete(CompletableFuture.supplyAsync(
                        () -> core.runs.find(ALICE, context.runId()).orElseThrow().status()).join());
            }
        });
        followed.countDown();
        RunEvent terminal = run.awaitTerminal();

        RunStatus stored = storedWhenTerminalSent.get(5, TimeUnit.SECONDS);
        assertSoftly(softly -> {
            softly.assertThat(terminal.type()).as("terminal event").isEqualTo("run_cancelled");
            softly.assertThat(stored).as("stored status when the terminal event was sent")
                    .isEqualTo(RunStatus.CANCELLED);
        });
    }
    @Test
    void start_rightAfterTheTerminalEvent_atTheLimit_isAdmitted() throws Exception {
        CoreHarness core = core(new OfflineModel());
        for (int i = 0; i < CoreHarness.MAX_ACTIVE_RUNS_PER_USER - 1; i++) {
            core.start(context("alice", ThreadId.generate()), new RunStart("wait 30 seconds", null, true));
        }
        for (int i = 0; i < 100; i++) {
            core.start(context("alice", ThreadId.generate()), new RunStart("hi", null, true)).awaitTerminal();

            Started next = core.start(context("alice", ThreadId.generate()), new RunStart("hi", null, true));

            next.awaitTerminal();
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> core.registry.activeCount(ALICE) == CoreHarness.MAX_ACTIVE_RUNS_PER_USER - 1);
        }
    }
}
