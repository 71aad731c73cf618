package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Heartbeats, the idle timeout and token expiry, on a fast clock: 50 ms heartbeats, 300 ms idle timeout. */
class ConnectionSupervisionTest {
    private static final WebSocketSettings FAST = new WebSocketSettings(1024, Duration.ofMillis(50),
            Duration.ofMillis(300), 10, 4096);
    private static final Instant LATER = Instant.now().plus(Duration.ofHours(1));

    private final ConnectionSupervision supervision = new ConnectionSupervision(FAST, Clock.systemUTC());

    @AfterEach
    void stop() {
        supervision.close();
    }

    @Test
    void openConnection_isPingedEveryHeartbeat_andStaysOpenWhileItIsHeardFrom() {
        TestConnection connection = TestConnection.of("alice", LATER, FAST);
        supervision.opened(connection, connection.network().session());

        // Heard from every 20 ms, it stays open well past the 300 ms idle timeout.
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    connection.context().touch(Instant.now());
                    return connection.network().closes.isEmpty();
                });

        assertThat(connection.network().pings.get()).isGreaterThanOrEqualTo(5);
        assertThat(supervision.size()).isEqualTo(1);
    }

    @Test
    void silentConnection_isClosedWithNormalClosure_afterTheIdleTimeout() {
        TestConnection connection = TestConnection.of("alice", LATER, FAST);
        long opened = System.nanoTime();
        supervision.opened(connection, connection.network().session());

        await().atMost(Duration.ofSeconds(2)).until(() -> !connection.network().closes.isEmpty());

        Duration silentFor = Duration.ofNanos(System.nanoTime() - opened);
        assertThat(silentFor).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(connection.network().closes.get(0).getCloseCode().getCode()).isEqualTo(1000);
        assertThat(connection.network().closes.get(0).getReasonPhrase()).isEqualTo("idle timeout");
    }

    @Test
    void tokenExpiry_closesTheConnectionWith1008_atTheExpiry() {
        Instant expiry = Instant.now().plusMillis(200);
        TestConnection connection = TestConnection.of("alice", expiry, FAST);
        supervision.opened(connection, connection.network().session());

        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10)).until(() -> {
            connection.context().touch(Instant.now());
            return !connection.network().closes.isEmpty();
        });

        // The timer works in whole milliseconds: a close up to 1 ms early is "at the expiry".
        assertThat(Instant.now()).isAfterOrEqualTo(expiry.minusMillis(2));
        assertThat(connection.network().closes.get(0).getCloseCode().getCode()).isEqualTo(1008);
        assertThat(connection.network().closes.get(0).getReasonPhrase()).isEqualTo("token expired");
    }

    @Test
    void tokenAlreadyExpired_closesAtOnce() {
        TestConnection connection = TestConnection.of("alice", Instant.now().minusSeconds(5), FAST);
        supervision.opened(connection, connection.network().session());

        await().atMost(Duration.ofMillis(500)).until(() -> !connection.network().closes.isEmpty());
        assertThat(connection.network().closes.get(0).getCloseCode().getCode()).isEqualTo(1008);
    }

    @Test
    void closedConnection_isForgotten_andNeitherPingedNorClosedAgain() {
        TestConnection connection = TestConnection.of("alice", Instant.now().plusMillis(150), FAST);
        supervision.opened(connection, connection.network().session());
        supervision.closed(connection);
        supervision.closed(connection);
        int pings = connection.network().pings.get();

        // Past the token expiry and the idle timeout: nothing more happens to it.
        await().during(Duration.ofMillis(450)).atMost(Duration.ofSeconds(2))
                .until(() -> connection.network().closes.isEmpty() && connection.network().pings.get() == pings);
        assertThat(supervision.size()).isZero();
    }

    @Test
    void aConnectionWhoseSocketAlreadyClosed_isNotPinged_andOneFailingPingDoesNotStopTheOthers() throws Exception {
        TestConnection gone = TestConnection.of("alice", LATER, FAST);
        TestConnection failing = TestConnection.of("bob", LATER, FAST);
        TestConnection healthy = TestConnection.of("carol", LATER, FAST);
        gone.network().session().close();
        failing.network().failPings = new IllegalStateException("the connection is broken");
        supervision.opened(gone, gone.network().session());
        supervision.opened(failing, failing.network().session());
        supervision.opened(healthy, healthy.network().session());

        await().atMost(Duration.ofSeconds(2)).until(() -> {
            gone.context().touch(Instant.now());
            failing.context().touch(Instant.now());
            healthy.context().touch(Instant.now());
            return healthy.network().pings.get() >= 3;
        });
        assertThat(gone.network().pings.get()).isZero();
        assertThat(failing.network().pings.get()).isZero();
    }
}
