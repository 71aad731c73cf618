package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.store.MessageRecord;
import dev.overseer.core.supervisor.CoreHarness.Started;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A repeated idempotency key (WebSocket request_id, HTTP Idempotency-Key) finds its run and starts nothing. */
@Timeout(30)
class IdempotentStartTest {
    private static final UserId ALICE = new UserId("alice");

    private final CoreHarness core = new CoreHarness();

    @AfterEach
    void close() throws Exception {
        core.close();
    }

    @Test
    void start_repeatedKey_answersTheEarlierRunAndStartsNothing() throws Exception {
        Started first = core.start(context("alice", ThreadId.generate()),
                new RunStart("What is 6*7?", null, true, "req-1"));
        first.awaitTerminal();
        ExecutionContext retry = context("alice", ThreadId.generate());

        AcceptedRun again = core.service.start(retry, new RunStart("What is 6*7?", null, true, "req-1"));

        assertThat(first.accepted().repeated()).isFalse();
        assertThat(again.repeated()).isTrue();
        assertThat(again.sameRequest()).isTrue();
        assertThat(again.runId()).isEqualTo(first.runId());
        assertThat(again.threadId()).isEqualTo(first.context().threadId());
        assertThat(core.service.find(ALICE, retry.runId())).isEmpty();
        assertThat(core.threads.find(ALICE, retry.threadId())).isEmpty();
        assertThat(core.messages.list(first.context().threadId(), null, 20).items()).extracting(MessageRecord::content)
                .containsExactly("What is 6*7?", core.service.find(ALICE, first.runId()).orElseThrow().output());
    }

    @Test
    void start_repeatedKeyWhileTheRunIsActive_answersTheSameRun() throws Exception {
        Started first = core.start(context("alice", ThreadId.generate()),
                new RunStart("wait 30 seconds", null, true, "req-2"));

        AcceptedRun again = core.service.start(context("alice", ThreadId.generate()),
                new RunStart("wait 30 seconds", null, true, "req-2"));

        assertThat(again.repeated()).isTrue();
        assertThat(again.runId()).isEqualTo(first.runId());
        assertThat(core.registry.activeCount(ALICE)).isEqualTo(1);
    }

    @Test
    void start_keyReusedForADifferentRequest_isReportedAsNotTheSame() throws Exception {
        Started first = core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true, "req-3"));
        first.awaitTerminal();

        AcceptedRun reused = core.service.start(context("alice", ThreadId.generate()),
                new RunStart("What is 6*7?", null, true, "req-3"));

        assertThat(reused.repeated()).isTrue();
        assertThat(reused.sameRequest()).isFalse();
        assertThat(reused.runId()).isEqualTo(first.runId());
    }

    @Test
    void start_sameKeyFromAnotherUser_startsTheirOwnRun() throws Exception {
        Started alices = core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true, "req-4"));
        alices.awaitTerminal();

        Started bobs = core.start(context("bob", ThreadId.generate()), new RunStart("hello", null, true, "req-4"));

        assertThat(bobs.accepted().repeated()).isFalse();
        assertThat(bobs.runId()).isNotEqualTo(alices.runId());
        assertThat(bobs.awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void start_withoutKey_alwaysStartsANewRun() throws Exception {
        ThreadId thread = ThreadId.generate();
        Started first = core.start(context("alice", thread), new RunStart("hello", null, true));
        first.awaitTerminal();

        Started second = core.start(context("alice", thread), new RunStart("hello", null, false));

        assertThat(second.accepted().repeated()).isFalse();
        assertThat(second.runId()).isNotEqualTo(first.runId());
        second.awaitTerminal();
        assertThat(core.messages.list(thread, null, 20).items()).hasSize(4);
    }
}
