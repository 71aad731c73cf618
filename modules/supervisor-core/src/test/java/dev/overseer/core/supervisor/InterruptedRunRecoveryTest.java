package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import dev.overseer.core.run.RunRejectedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A run left queued or running by a process that died is closed as failed/interrupted: at the next start on H2
 * (every active run), and on a database that nodes share, once no node holds its lease (SPEC §7, ADR 0020).
 */
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
    void failAbandonedAll_runningRunWithEvents_failsItWithTheNextSeq() {
        ExecutionContext context = admitWithoutExecuting("wait 30 seconds");
        Instant now = Instant.now();
        core.writer.started(context.runId(), now);
        core.writer.append(RunEvent.encode(context.runId(), context.threadId(), 1, now, "supervisor",
                new EventPayload.AgentStarted(null)));
        core.writer.append(RunEvent.encode(context.runId(), context.threadId(), 2, now, "supervisor",
                new EventPayload.AgentThinking("Waiting 30 seconds with the wait tool.")));
        await().atMost(Duration.ofSeconds(5)).until(() -> storedEvents(context).size() == 2
                && stored(context).status() == RunStatus.RUNNING);

        int closed = core.runs.failAbandoned(RunStore.Abandoned.ALL).size();

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
    void failAbandonedAll_queuedRunWithoutEvents_getsRunFailedAsSeqOne() {
        ExecutionContext context = admitWithoutExecuting("What is 6*7?");
        assertThat(stored(context).status()).isEqualTo(RunStatus.QUEUED);

        assertThat(core.runs.failAbandoned(RunStore.Abandoned.ALL).size()).isEqualTo(1);

        assertThat(stored(context).status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored(context).errorCode()).isEqualTo("interrupted");
        assertThat(storedEvents(context)).singleElement()
                .satisfies(event -> {
                    assertThat(event.seq()).isEqualTo(1);
                    assertThat(event.type()).isEqualTo("run_failed");
                });
    }

    @Test
    void failAbandonedAll_freesTheThreadForANewRun() throws Exception {
        ExecutionContext orphan = admitWithoutExecuting("wait 30 seconds");
        core.runs.failAbandoned(RunStore.Abandoned.ALL);

        CoreHarness.Started next = core.start(context("alice", orphan.threadId()),
                new RunStart("What is 6*7?", null, false));

        assertThat(next.awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void failAbandonedAll_leavesFinishedRunsAloneAndIsIdempotent() throws Exception {
        ExecutionContext finished = context("alice", ThreadId.generate());
        core.start(finished, new RunStart("What is 6*7?", null, true)).awaitTerminal();
        await().atMost(Duration.ofSeconds(5)).until(() -> core.service.active(ALICE, finished.runId()).isEmpty());
        ExecutionContext orphan = admitWithoutExecuting("hello");

        assertThat(core.runs.failAbandoned(RunStore.Abandoned.ALL).size()).isEqualTo(1);
        assertThat(core.runs.failAbandoned(RunStore.Abandoned.ALL).size()).isZero();

        assertThat(stored(finished).status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(storedEvents(finished)).hasSize(6);
        assertThat(stored(orphan).status()).isEqualTo(RunStatus.FAILED);
        assertThat(storedEvents(orphan)).hasSize(1);
    }

    private static final Duration LEASE = Duration.ofSeconds(15);

    /** A clock this far behind the real one: a node whose leases, written with it, have already expired. */
    private static Clock behind(Duration offset) {
        return Clock.offset(Clock.systemUTC(), offset.negated());
    }

    @Test
    void failAbandonedExpired_leavesRunsWhoseNodeRenewsTheirLease_andFailsTheOthersOnce() {
        RunStore live = core.node("node_live", LEASE, Clock.systemUTC());
        RunStore dead = core.node("node_dead", LEASE, behind(Duration.ofMinutes(1)));
        RunStore reaper = core.node("node_reaper", LEASE, Clock.systemUTC());
        ExecutionContext alive = context("alice", ThreadId.generate());
        ExecutionContext abandoned = context("alice", ThreadId.generate());
        assertThat(core.admitWithoutExecuting(alive, "wait 30 seconds", live)).isEqualTo(RunStore.Admission.ADMITTED);
        assertThat(core.admitWithoutExecuting(abandoned, "wait 30 seconds", dead)).isEqualTo(RunStore.Admission.ADMITTED);

        List<RunEvent> failed = reaper.failAbandoned(RunStore.Abandoned.EXPIRED);

        assertThat(failed).extracting(RunEvent::runId).containsExactly(abandoned.runId());
        assertThat(stored(abandoned).status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored(abandoned).errorCode()).isEqualTo("interrupted");
        assertThat(storedEvents(abandoned)).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo("run_failed");
            assertThat(Json.readTrusted(event.json()).path("payload").path("code").asText()).isEqualTo("interrupted");
        });
        assertThat(stored(alive).status()).isEqualTo(RunStatus.QUEUED);
        assertThat(storedEvents(alive)).isEmpty();
        // A second reaper (another node, or the next round) finds nothing more to do.
        assertThat(core.node("node_other", LEASE, Clock.systemUTC()).failAbandoned(RunStore.Abandoned.EXPIRED)).isEmpty();
        assertThat(reaper.failAbandoned(RunStore.Abandoned.EXPIRED)).isEmpty();
    }

    @Test
    void failAbandonedExpired_neverFailsTheReapersOwnRuns_andARenewedLeaseKeepsItsRun() {
        // Written with a lease that has expired, by a node whose renewal then comes.
        RunStore late = core.node("node_late", LEASE, behind(Duration.ofMinutes(1)));
        ExecutionContext context = context("alice", ThreadId.generate());
        core.admitWithoutExecuting(context, "wait 30 seconds", late);
        assertThat(late.failAbandoned(RunStore.Abandoned.EXPIRED)).as("its own runs").isEmpty();

        assertThat(core.node("node_late", LEASE, Clock.systemUTC()).renewLeases()).isEqualTo(1);

        assertThat(core.node("node_reaper", LEASE, Clock.systemUTC()).failAbandoned(RunStore.Abandoned.EXPIRED)).isEmpty();
        assertThat(stored(context).status()).isEqualTo(RunStatus.QUEUED);
    }

    @Test
    void failAbandonedAtStart_failsTheRunsOfAnEarlierProcessWithThisNodeId_andLeavesLiveNodesRunsAlone() throws Exception {
        RunStore before = core.node("node_a", LEASE, Clock.systemUTC());
        RunStore other = core.node("node_b", LEASE, Clock.systemUTC());
        ExecutionContext mine = context("alice", ThreadId.generate());
        ExecutionContext theirs = context("alice", ThreadId.generate());
        core.admitWithoutExecuting(mine, "wait 30 seconds", before);
        core.admitWithoutExecuting(theirs, "wait 30 seconds", other);

        // node_a starts again (same OVERSEER_NODE_ID): its runs cannot be alive, node_b's lease is.
        List<RunEvent> failed = core.node("node_a", LEASE, Clock.systemUTC()).failAbandoned(RunStore.Abandoned.AT_START);

        assertThat(failed).extracting(RunEvent::runId).containsExactly(mine.runId());
        assertThat(stored(mine).status()).isEqualTo(RunStatus.FAILED);
        assertThat(stored(theirs).status()).isEqualTo(RunStatus.QUEUED);
        // The thread of the failed run takes a new run at once; node_b's stays busy.
        assertThat(core.start(context("alice", mine.threadId()), new RunStart("What is 6*7?", null, false))
                .awaitTerminal().type()).isEqualTo("run_completed");
        assertThatThrownBy(() -> core.start(context("alice", theirs.threadId()), new RunStart("What is 6*7?", null, false)))
                .isInstanceOf(RunRejectedException.class)
                .extracting(e -> ((RunRejectedException) e).reason()).isEqualTo(RunRejectedException.Reason.THREAD_BUSY);
    }
}
