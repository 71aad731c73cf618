package dev.overseer.core.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.overseer.context.RunId;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.event.RunEvent;
import dev.overseer.core.event.RunEventListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ActiveRunTest {
    private final RunId runId = RunId.generate();
    private final ThreadId threadId = ThreadId.generate();
    private final ActiveRun run = new ActiveRun(runId, threadId, new UserId("alice"));

    private RunEvent event(int seq) {
        return new RunEvent(runId, threadId, seq, "agent_thinking", false, "{\"seq\":" + seq + "}");
    }

    private RunEvent terminal(int seq) {
        return new RunEvent(runId, threadId, seq, "run_completed", true, "{\"seq\":" + seq + "}");
    }

    /** A listener that records the sequence numbers it was handed. */
    private static final class Recorder implements RunEventListener {
        final List<Integer> seqs = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onEvent(RunEvent event) {
            seqs.add(event.seq());
        }
    }

    /** Where {@code seqs} first differs from {@code from..to}, or "none"; keeps failures readable at 10k events. */
    private static String deviation(List<Integer> seqs, int from, int to) {
        List<Integer> seen = List.copyOf(seqs);
        for (int i = 0; i < seen.size(); i++) {
            int expected = from + i;
            if (expected > to) {
                return "extra events after " + to + ": " + seen.subList(i, Math.min(seen.size(), i + 5));
            }
            if (seen.get(i) != expected) {
                return "expected " + expected + " at index " + i + " but got "
                        + seen.subList(Math.max(0, i - 2), Math.min(seen.size(), i + 5));
            }
        }
        int last = from + seen.size() - 1;
        return last == to ? "none" : "stopped at " + last + " of " + to;
    }

    @Test
    void subscribe_fromStart_getsEveryEventInOrder() {
        Recorder recorder = new Recorder();

        assertThat(run.subscribe(0, recorder)).isTrue();
        for (int seq = 1; seq <= 4; seq++) {
            run.publish(event(seq));
        }
        run.publish(terminal(5));

        assertThat(recorder.seqs).containsExactly(1, 2, 3, 4, 5);
        assertThat(run.terminal()).isCompletedWithValueMatching(event -> event.seq() == 5 && event.terminal());
    }

    @Test
    void subscribe_lateWithAfterSeq_replaysExactlyTheMissedThenLive() {
        for (int seq = 1; seq <= 3; seq++) {
            run.publish(event(seq));
        }
        Recorder recorder = new Recorder();

        assertThat(run.subscribe(1, recorder)).isTrue();
        assertThat(recorder.seqs).containsExactly(2, 3);

        run.publish(event(4));
        run.publish(event(5));
        run.publish(terminal(6));

        assertThat(recorder.seqs).containsExactly(2, 3, 4, 5, 6);
    }

    @Test
    void subscribe_afterSeqAtTheEnd_getsOnlyLiveEvents() {
        for (int seq = 1; seq <= 3; seq++) {
            run.publish(event(seq));
        }
        Recorder recorder = new Recorder();

        run.subscribe(3, recorder);
        assertThat(recorder.seqs).isEmpty();
        run.publish(terminal(4));

        assertThat(recorder.seqs).containsExactly(4);
    }

    @Test
    void subscribe_afterTerminal_replaysButReturnsFalse() {
        run.publish(event(1));
        run.publish(event(2));
        run.publish(terminal(3));
        Recorder recorder = new Recorder();

        assertThat(run.subscribe(1, recorder)).isFalse();

        assertThat(recorder.seqs).containsExactly(2, 3);
    }

    @Test
    void publish_afterTerminal_noLongerReachesListeners() {
        Recorder recorder = new Recorder();
        run.subscribe(0, recorder);
        run.publish(terminal(1));

        assertThat(recorder.seqs).containsExactly(1);
        assertThat(run.eventsAfter(0)).extracting(RunEvent::seq).containsExactly(1);
    }

    @Test
    void unsubscribe_stopsDelivery() {
        Recorder recorder = new Recorder();
        run.subscribe(0, recorder);
        run.publish(event(1));

        run.unsubscribe(recorder);
        run.publish(event(2));

        assertThat(recorder.seqs).containsExactly(1);
    }

    @Test
    void unsubscribe_fromInsideDelivery_letsThePublishFinishAndReachEveryOtherListener() {
        // What a WebSocket connection does when an event overflows its queue: it closes, and its close
        // unsubscribes it, all within the publish. The run must not notice.
        Recorder before = new Recorder();
        Recorder after = new Recorder();
        RunEventListener leaving = new RunEventListener() {
            @Override
            public void onEvent(RunEvent event) {
                run.unsubscribe(this);
            }
        };
        run.subscribe(0, before);
        run.subscribe(0, leaving);
        run.subscribe(0, after);

        run.publish(event(1));
        run.publish(terminal(2));

        assertThat(before.seqs).containsExactly(1, 2);
        assertThat(after.seqs).containsExactly(1, 2);
        assertThat(run.terminal()).isCompleted();
    }

    @Test
    void eventsAfter_returnsTheTailInOrder() {
        for (int seq = 1; seq <= 5; seq++) {
            run.publish(event(seq));
        }

        assertThat(run.eventsAfter(0)).extracting(RunEvent::seq).containsExactly(1, 2, 3, 4, 5);
        assertThat(run.eventsAfter(3)).extracting(RunEvent::seq).containsExactly(4, 5);
        assertThat(run.eventsAfter(5)).isEmpty();
    }

    @Test
    void subscribe_concurrentWithPublishing_neverLosesOrDuplicates() throws Exception {
        int total = 10_000;
        int subscribers = 8;
        for (int round = 0; round < 5; round++) {
            long seed = System.nanoTime();
            Random random = new Random(seed);
            ActiveRun live = new ActiveRun(runId, threadId, new UserId("alice"));
            AtomicInteger published = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);

            List<Recorder> recorders = new ArrayList<>();
            List<Integer> afterSeqs = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < subscribers; i++) {
                // Some join before anything is published, some mid-stream, some after the end.
                int joinAt = random.nextInt(total + 2);
                int afterSeq = random.nextInt(Math.min(joinAt, total) + 1);
                Recorder recorder = new Recorder();
                recorders.add(recorder);
                afterSeqs.add(afterSeq);
                threads.add(Thread.ofPlatform().daemon().start(() -> {
                    awaitQuietly(go);
                    while (published.get() < Math.min(joinAt, total)) {
                        Thread.onSpinWait();
                    }
                    live.subscribe(afterSeq, recorder);
                }));
            }
            Thread publisher = Thread.ofPlatform().daemon().start(() -> {
                awaitQuietly(go);
                for (int seq = 1; seq < total; seq++) {
                    live.publish(new RunEvent(runId, threadId, seq, "agent_thinking", false, "{}"));
                    published.set(seq);
                }
                live.publish(new RunEvent(runId, threadId, total, "run_completed", true, "{}"));
                published.set(total);
            });
            go.countDown();
            publisher.join(TimeUnit.SECONDS.toMillis(20));
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(20));
            }

            assertThat(live.terminal()).isCompleted();
            for (int i = 0; i < subscribers; i++) {
                assertThat(deviation(recorders.get(i).seqs, afterSeqs.get(i) + 1, total))
                        .as("seed %d, subscriber %d with afterSeq %d", seed, i, afterSeqs.get(i))
                        .isEqualTo("none");
            }
        }
    }

    @Test
    void stop_interruptsTheAttachedRunnerThread() throws Exception {
        CompletableFuture<Boolean> interrupted = new CompletableFuture<>();
        CompletableFuture<ActiveRun.StopReason> attached = new CompletableFuture<>();
        Thread runner = Thread.ofPlatform().daemon().start(() -> {
            attached.complete(run.attach(Thread.currentThread()));
            try {
                Thread.sleep(60_000);
                interrupted.complete(false);
            } catch (InterruptedException e) {
                interrupted.complete(true);
            }
        });
        assertThat(attached.get(2, TimeUnit.SECONDS)).as("stop reason before start").isNull();
        await().atMost(Duration.ofSeconds(2)).until(() -> runner.getState() == Thread.State.TIMED_WAITING);

        assertThat(run.stop(ActiveRun.StopReason.CANCELLED)).isTrue();

        assertThat(interrupted.get(2, TimeUnit.SECONDS)).isTrue();
        assertThat(run.stopReason()).isEqualTo(ActiveRun.StopReason.CANCELLED);
    }

    @Test
    void stop_beforeTheRunnerAttaches_isReportedOnAttach() {
        assertThat(run.stop(ActiveRun.StopReason.CANCELLED)).isTrue();

        assertThat(run.attach(Thread.currentThread())).isEqualTo(ActiveRun.StopReason.CANCELLED);
        assertThat(Thread.interrupted()).isFalse();
    }

    @Test
    void stop_twice_keepsTheFirstReason() {
        run.attach(Thread.currentThread());
        try {
            assertThat(run.stop(ActiveRun.StopReason.CANCELLED)).isTrue();
            assertThat(run.stop(ActiveRun.StopReason.SHUTDOWN)).isTrue();

            assertThat(run.stopReason()).isEqualTo(ActiveRun.StopReason.CANCELLED);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void stop_afterBeginFinishing_isRefusedAndDoesNotInterrupt() {
        run.attach(Thread.currentThread());
        assertThat(run.beginFinishing()).isNull();

        assertThat(run.stop(ActiveRun.StopReason.CANCELLED)).isFalse();

        assertThat(Thread.interrupted()).isFalse();
        assertThat(run.stopReason()).isNull();
    }

    @Test
    void beginFinishing_afterStop_reportsTheReason() {
        run.stop(ActiveRun.StopReason.SHUTDOWN);

        assertThat(run.beginFinishing()).isEqualTo(ActiveRun.StopReason.SHUTDOWN);
    }

    @Test
    void stop_afterTerminalEvent_isRefused() {
        run.publish(terminal(1));

        assertThat(run.stop(ActiveRun.StopReason.CANCELLED)).isFalse();
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
