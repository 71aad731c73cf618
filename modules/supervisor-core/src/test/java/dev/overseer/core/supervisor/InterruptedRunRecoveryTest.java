package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.ExecutionContext;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.EventPayload;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.json.Json;
import dev.overseer.core.store.RunRecord;
import dev.overseer.core.store.RunStatus;
import dev.overseer.core.store.RunStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A run left queued or running by a process that died is closed as failed/interrupted at the next start. */
@Timeout(30)
class InterruptedRunRecoveryTest {
    private static final UserId ALICE = new UserId("alice");

    private final CoreHarness core = new CoreHarness();

    @AfterEach
    void close() throws Exception {
        core.close();
    }

    private ExecutionContext admitWithoutExecuting(String content) {
        ExecutionContext context = context("alice", ThreadId.generate());
        assertThat(core.admitWithoutExecuting(context, content)).isEqualTo(RunStore.Admission.ADMITTED);
        return context;
    }

    private RunRecord stored(ExecutionContext context) {
        return core.runs.find(ALICE, context.runId()).orElseThrow();
    }

    private List<RunEvent> storedEvents(ExecutionContext context) {
        return core.events.list(context.runId(), context.threadId(), 0, 100);
    }

    @Test
    void failInterrupted_runningRunWithEvents_failsItWithTheNextSeq() {
        ExecutionContext context = admitWithoutExecuting("wait 30 seconds");
        Instant now = Instant.now();
        core.writer.started(context.runId(), now);
        core.writer.append(RunEvent.encode(context.runId(), context.threadId(), 1, now, "supervisor",
                new EventPayload.AgentStarted(null)));
        core.writer.append(RunEvent.encode(context.runId(), context.threadId(), 2, now, "supervisor",
                new EventPayload.AgentThinking("Waiting 30 seconds with the wait tool.")));
        await().atMost(Duration.ofSeconds(5)).until(() -> storedEvents(context).size() == 2
                && stored(context).status() == RunStatus.RUNNING);

        int closed = core.runs.failInterrupted();

        assertThat(closed).isEqualTo(1);
        RunRecord run = stored(context);
        assertThat(run.status()).isEqualTo(RunStatus.FAILED);
        assertThat(run.errorCode()).isEqualTo("interrupted");
        assertThat(run.errorMessage()).isNotBlank();
        assertThat(run.finishedAt()).isNotNull();
        List<RunEvent> events = storedEvents(context);
        assertThat(events).extracting(RunEvent::seq).containsExactly(1, 2, 3);
        RunEvent terminal = events.get(2);
        assertThat(terminal.type()).isEqualTo("run_failed");
        assertThat(terminal.terminal()).isTrue();
        JsonNode json = Json.readTrusted(terminal.json());
        assertThat(json.get("seq").asInt()).isEqualTo(3);
        assertThat(json.get("run_id").asText()).isEqualTo(context.runId().value());
        assertThat(json.get("thread_id").asText()).isEqualTo(context.threadId().value());
        assertThat(json.get("agent").asText()).isEqualTo("supervisor");
        assertThat(json.get("payload").get("code").asText()).isEqualTo("interrupted");
        assertThat(json.get("payload").get("message").asText()).isEqualTo(run.errorMessage());
    }

    @Test
    void failInterrupted_queuedRunWithoutEvents_getsRunFailedAsSeqOne() {
        ExecutionContext context = admitWithoutExecuting("What is 6*7?");
        assertThat(stored(context).status()).isEqualTo(RunStatus.QUEUED);

        assertThat(core.runs.failInterrupted()).isEqualTo(1);

        assertThat(stored(context).status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored(context).errorCode()).isEqualTo("interrupted");
        assertThat(storedEvents(context)).singleElement()
                .satisfies(event -> {
                    assertThat(event.seq()).isEqualTo(1);
                    assertThat(event.type()).isEqualTo("run_failed");
                });
    }

    @Test
    void failInterrupted_freesTheThreadForANewRun() throws Exception {
        ExecutionContext orphan = admitWithoutExecuting("wait 30 seconds");
        core.runs.failInterrupted();

        CoreHarness.Started next = core.start(context("alice", orphan.threadId()),
                new RunStart("What is 6*7?", null, false));

        assertThat(next.awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void failInterrupted_leavesFinishedRunsAloneAndIsIdempotent() throws Exception {
        ExecutionContext finished = context("alice", ThreadId.generate());
        core.start(finished, new RunStart("What is 6*7?", null, true)).awaitTerminal();
        await().atMost(Duration.ofSeconds(5)).until(() -> core.service.active(ALICE, finished.runId()).isEmpty());
        ExecutionContext orphan = admitWithoutExecuting("hello");

        assertThat(core.runs.failInterrupted()).isEqualTo(1);
        assertThat(core.runs.failInterrupted()).isZero();

        assertThat(stored(finished).status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(storedEvents(finished)).hasSize(6);
        assertThat(stored(orphan).status()).isEqualTo(RunStatus.FAILED);
        assertThat(storedEvents(orphan)).hasSize(1);
    }
}
