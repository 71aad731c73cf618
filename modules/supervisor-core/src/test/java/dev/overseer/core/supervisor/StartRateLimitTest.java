package dev.overseer.core.supervisor;

import static dev.overseer.core.supervisor.CoreHarness.context;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.overseer.context.ExecutionContext;
import dev.overseer.context.ThreadId;
import dev.overseer.context.UserId;
import dev.overseer.core.model.OfflineModel;
import dev.overseer.core.run.RunRejectedException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Starts per user are rate limited: a burst, then one per refill interval. */
@Timeout(30)
class StartRateLimitTest {
    private static final UserId ALICE = new UserId("alice");

    // One start per 10 seconds after a burst of two: no refill can happen while a test runs.
    private final CoreHarness core = new CoreHarness(new OfflineModel(), Duration.ofSeconds(5), 0.1, 2);

    @AfterEach
    void close() throws Exception {
        core.close();
    }

    @Test
    void start_beyondTheBurst_isRateLimitedWithARetryHint() throws Exception {
        core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true)).awaitTerminal();
        core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true)).awaitTerminal();
        ExecutionContext third = context("alice", ThreadId.generate());

        assertThatThrownBy(() -> core.service.start(third, new RunStart("hello", null, true)))
                .isInstanceOfSatisfying(RunRejectedException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RunRejectedException.Reason.RATE_LIMITED);
                    assertThat(e.reason().wire()).isEqualTo("rate_limited");
                    assertThat(e.retryAfterMillis()).isBetween(1L, 10_000L);
                });

        assertThat(core.threads.find(ALICE, third.threadId())).isEmpty();
        assertThat(core.service.find(ALICE, third.runId())).isEmpty();
        assertThat(core.registry.activeCount(ALICE)).isZero();
    }

    @Test
    void start_rateLimit_isPerUser() throws Exception {
        core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true)).awaitTerminal();
        core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true)).awaitTerminal();

        CoreHarness.Started bobs = core.start(context("bob", ThreadId.generate()), new RunStart("hello", null, true));

        assertThat(bobs.awaitTerminal().type()).isEqualTo("run_completed");
    }

    @Test
    void start_invalidMessage_doesNotSpendTheBudget() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> core.service.start(context("alice", ThreadId.generate()),
                    new RunStart(" ", null, true)))
                    .isInstanceOfSatisfying(RunRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(RunRejectedException.Reason.INVALID_MESSAGE));
        }

        CoreHarness.Started run = core.start(context("alice", ThreadId.generate()), new RunStart("hello", null, true));

        assertThat(run.awaitTerminal().type()).isEqualTo("run_completed");
    }
}
