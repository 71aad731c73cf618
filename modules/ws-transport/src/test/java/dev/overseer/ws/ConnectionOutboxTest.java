package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.websocket.CloseReason;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The one way out of a connection: in order, one batch in flight, bounded, and silent once closed. */
class ConnectionOutboxTest {
    /** Room for 20 characters waiting behind the frames in flight. */
    private static final WebSocketSettings SETTINGS = new WebSocketSettings(10, Duration.ofSeconds(25),
            Duration.ofSeconds(75), 10, 20);

    private final RecordingSession network = new RecordingSession();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ConnectionRegistry connections = new ConnectionRegistry();
    private final WebSocketMetrics metrics = new WebSocketMetrics(new OverseerMetrics(meters), connections);
    private final ConnectionOutbox outbox = new ConnectionOutbox(network.session(), SETTINGS, metrics);

    @Test
    void send_transmitsAtOnce_thenWhatQueuedMeanwhile_asOneWrite_inOrder() {
        outbox.send("one");
        outbox.send("two");
        outbox.send("three");

        assertThat(network.writes).containsExactly(List.of("one"));
        assertThat(network.inFlight()).isEqualTo(1);
        assertThat(outbox.queuedChars()).isEqualTo("two".length() + "three".length());

        network.complete(true);
        assertThat(network.writes).containsExactly(List.of("one"), List.of("two", "three"));
        assertThat(network.inFlight()).isEqualTo(2);
        assertThat(outbox.queuedChars()).isZero();

        network.complete(true);
        network.complete(true);
        assertThat(network.sent).containsExactly("one", "two", "three");
        assertThat(network.inFlight()).isZero();

        // Idle again: the next frame goes out at once, on its own.
        outbox.send("four");
        assertThat(network.writes).containsExactly(List.of("one"), List.of("two", "three"), List.of("four"));
        assertThat(network.sendsWhileBusy).hasValue(0);
    }

    @Test
    void framesQueuedWhileABatchIsInFlight_leaveAfterTheWholeBatch_asTheNextOne() {
        outbox.send("a");
        outbox.send("b");
        outbox.send("c");
        network.complete(true);
        outbox.send("d");

        network.complete(true);
        assertThat(network.writes).as("c is still in flight").containsExactly(List.of("a"), List.of("b", "c"));
        outbox.send("e");
        network.complete(true);

        assertThat(network.writes).containsExactly(List.of("a"), List.of("b", "c"), List.of("d", "e"));
        assertThat(network.sendsWhileBusy).hasValue(0);
    }

    @Test
    void send_aBurstFromManyThreads_leavesInOneWrite_losingNothing_andKeepingEachSendersOrder() throws Exception {
        WebSocketSettings roomy = new WebSocketSettings(10, Duration.ofSeconds(25), Duration.ofSeconds(75), 10,
                1_000_000);
        ConnectionOutbox shared = new ConnectionOutbox(network.session(), roomy, metrics);
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService senders = Executors.newFixedThreadPool(4)) {
            for (int t = 0; t < 4; t++) {
                int thread = t;
                senders.submit(() -> {
                    start.await();
                    for (int i = 0; i < 250; i++) {
                        shared.send(thread + ":" + i);
                    }
                    return null;
                });
            }
            start.countDown();
        }
        while (network.inFlight() > 0) {
            network.complete(true);
        }
        assertThat(network.sendsWhileBusy).as("one write in flight at a time").hasValue(0);
        assertThat(network.writes).as("the first frame, then everything queued behind it").hasSize(2);
        assertThat(network.writes.get(1)).hasSize(999);
        assertThat(network.sent).hasSize(1_000).doesNotHaveDuplicates();
        for (int t = 0; t < 4; t++) {
            String prefix = t + ":";
            List<String> ofThread = network.sent.stream().filter(text -> text.startsWith(prefix)).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 250; i++) {
                expected.add(prefix + i);
            }
            assertThat(ofThread).as("frames of sender %d, in its order", t).isEqualTo(expected);
        }
    }

    @Test
    void send_overflowingTheQueue_closesWith1013_countsIt_andDropsEverythingAfter() {
        outbox.send("in-flight");
        outbox.send("0123456789");
        outbox.send("abcdefghij");
        assertThat(outbox.queuedChars()).isEqualTo(20);
        assertThat(meters.get("overseer.websocket.slow.reader.closes").counter().count()).isZero();

        outbox.send("x");

        assertThat(meters.get("overseer.websocket.slow.reader.closes").counter().count()).isEqualTo(1);

        assertThat(network.closes).hasSize(1);
        CloseReason reason = network.closes.get(0);
        assertThat(reason.getCloseCode().getCode()).isEqualTo(1013);
        assertThat(reason.getReasonPhrase()).isEqualTo("outbound queue overflow; reconnect and resume");
        assertThat(outbox.queuedChars()).isZero();

        // The frame in flight completes; nothing queued behind it is sent, nor anything later.
        network.complete(true);
        outbox.send("later");
        assertThat(network.sent).containsExactly("in-flight");
        assertThat(network.closes).hasSize(1);
    }

    @Test
    void queuedFramesOfEveryOpenConnection_addUpInTheOutboundQueueGauge() {
        TestConnection alice = TestConnection.of("alice");
        TestConnection bob = TestConnection.of("bob");
        assertThat(connections.register(alice, 10)).isTrue();
        assertThat(connections.register(bob, 10)).isTrue();
        alice.outbox().send("in-flight");
        alice.outbox().send("12345");
        bob.outbox().send("in-flight");
        bob.outbox().send("123");
        bob.outbox().send("4567");

        assertThat(meters.get("overseer.websocket.outbound.queued").gauge().value()).isEqualTo(12);

        bob.network().complete(true);
        assertThat(meters.get("overseer.websocket.outbound.queued").gauge().value()).isEqualTo(5);
        connections.unregister(alice);
        assertThat(meters.get("overseer.websocket.outbound.queued").gauge().value()).isZero();
    }

    @Test
    void send_ofAFrameLargerThanTheQueue_whenIdle_stillGoesOut() {
        String big = "y".repeat(50);

        outbox.send(big);

        assertThat(network.sent).containsExactly(big);
        assertThat(network.closes).isEmpty();
    }

    @Test
    void markClosed_dropsWhatIsQueued_andEveryLaterFrame_withoutClosingTheSession() {
        outbox.send("one");
        outbox.send("two");

        outbox.markClosed();
        network.complete(true);
        outbox.send("three");

        assertThat(network.sent).containsExactly("one");
        assertThat(outbox.queuedChars()).isZero();
        assertThat(network.closes).isEmpty();
    }

    @Test
    void close_closesTheSessionWithTheReason_once() {
        CloseReason goingAway = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down");

        outbox.close(goingAway);
        outbox.close(goingAway);
        outbox.send("after");

        assertThat(network.closes).containsExactly(goingAway);
        assertThat(network.sent).isEmpty();
    }

    @Test
    void closeWhenSent_writesEverythingQueuedFirst_thenCloses_andDropsLaterFrames() {
        CloseReason goingAway = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down");
        outbox.send("one");
        outbox.send("two");
        outbox.send("three");

        outbox.closeWhenSent(goingAway);
        outbox.send("after");
        assertThat(outbox.isClosing()).isTrue();
        assertThat(network.closes).as("frames are still waiting").isEmpty();

        network.complete(true);
        assertThat(network.closes).as("two and three are in flight").isEmpty();
        network.complete(true);
        network.complete(true);

        assertThat(network.sent).containsExactly("one", "two", "three");
        assertThat(network.closes).containsExactly(goingAway);
    }

    @Test
    void closeWhenSent_withNothingWaiting_closesAtOnce() {
        CloseReason goingAway = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down");

        outbox.closeWhenSent(goingAway);

        assertThat(network.closes).containsExactly(goingAway);
    }

    @Test
    void failedSend_stopsTheOutbox() {
        outbox.send("one");
        outbox.send("two");

        network.complete(false);
        outbox.send("three");

        assertThat(network.sent).containsExactly("one");
        assertThat(network.inFlight()).isZero();
    }

    @Test
    void failedSend_withinABatch_stopsTheOutbox() {
        outbox.send("one");
        outbox.send("two");
        outbox.send("three");
        network.complete(true);
        outbox.send("four");

        network.complete(false);
        network.complete(true);
        outbox.send("five");

        assertThat(network.sent).containsExactly("one", "two", "three");
        assertThat(network.inFlight()).isZero();
        assertThat(outbox.queuedChars()).isZero();
    }

    @Test
    void sendThatThrows_stopsTheOutbox() {
        network.failSends = new IllegalStateException("the remote endpoint was in state [TEXT_FULL_WRITING]");

        outbox.send("one");
        network.failSends = null;
        outbox.send("two");

        assertThat(network.sent).isEmpty();
        assertThat(network.inFlight()).isZero();
    }

    @Test
    void batchThatCannotBeFlushed_stopsTheOutbox_andLeavesBatchingOff() {
        outbox.send("one");
        outbox.send("two");
        outbox.send("three");
        network.failFlushes = new IOException("broken pipe");

        network.complete(true);
        outbox.send("four");

        assertThat(network.writes).containsExactly(List.of("one"));
        assertThat(network.session().getAsyncRemote().getBatchingAllowed()).isFalse();
        assertThat(outbox.queuedChars()).isZero();
    }

    @Test
    void close_whenTheSessionCannotBeClosed_isQuiet() {
        network.failCloses = new IOException("broken pipe");

        outbox.close(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "bye"));
        outbox.send("after");

        assertThat(network.sent).isEmpty();
        assertThat(network.closes).isEmpty();
    }

    @Test
    void overflow_ofASessionAlreadyClosed_doesNotCloseItAgain() throws Exception {
        outbox.send("in-flight");
        network.session().close();

        outbox.send("0123456789");
        outbox.send("abcdefghij");
        outbox.send("x");

        assertThat(network.closes).as("only the close that was already done").hasSize(1);
        assertThat(network.closes.get(0)).isNull();
        assertThat(outbox.queuedChars()).isZero();
    }
}
