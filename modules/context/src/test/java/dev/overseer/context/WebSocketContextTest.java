package dev.overseer.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WebSocketContextTest {
    private static final Instant CONNECTED = Instant.parse("2026-11-28T10:00:00Z");
    private final ConnectionId connection = ConnectionId.generate();
    private final Principal alice = new Principal(new UserId("alice"), CONNECTED.plusSeconds(3600));
    private final WebSocketContext context = new WebSocketContext(connection, alice, CONNECTED);

    @Test
    void new_isOpenAndLastHeardFromAtConnect() {
        assertThat(context.isOpen()).isTrue();
        assertThat(context.connectedAt()).isEqualTo(CONNECTED);
        assertThat(context.lastActivity()).isEqualTo(CONNECTED);
        assertThat(context.connectionId()).isEqualTo(connection);
        assertThat(context.principal()).isEqualTo(alice);
        assertThat(context.userId()).isEqualTo(new UserId("alice"));
    }

    @Test
    void touch_updatesLastActivity() {
        context.touch(CONNECTED.plusSeconds(5));
        assertThat(context.lastActivity()).isEqualTo(CONNECTED.plusSeconds(5));

        context.touch(CONNECTED.plusSeconds(30));
        assertThat(context.lastActivity()).isEqualTo(CONNECTED.plusSeconds(30));
        assertThat(context.connectedAt()).isEqualTo(CONNECTED);
    }

    @Test
    void markClosed_isTrueOnlyTheFirstTime() {
        assertThat(context.markClosed()).isTrue();
        assertThat(context.isOpen()).isFalse();

        assertThat(context.markClosed()).isFalse();
        assertThat(context.markClosed()).isFalse();
        assertThat(context.isOpen()).isFalse();
    }

    @Test
    void markClosed_racingThreads_exactlyOneWins() throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger winners = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (context.markClosed()) {
                    winners.incrementAndGet();
                }
            }));
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(winners).hasValue(1);
    }

    @Test
    void executionContext_carriesWebSocketOriginWithConnectionId() {
        ThreadId thread = ThreadId.generate();
        RunId run = RunId.generate();

        ExecutionContext execution = context.executionContext(thread, run);

        assertThat(execution.principal()).isEqualTo(alice);
        assertThat(execution.threadId()).isEqualTo(thread);
        assertThat(execution.runId()).isEqualTo(run);
        assertThat(execution.origin()).isEqualTo(new Origin.WebSocket(connection));
        assertThat(execution.origin().label()).isEqualTo("websocket");
    }

    @Test
    void new_missingPart_isRejected() {
        assertThatThrownBy(() -> new WebSocketContext(null, alice, CONNECTED)).hasMessage("connectionId");
        assertThatThrownBy(() -> new WebSocketContext(connection, null, CONNECTED)).hasMessage("principal");
        assertThatThrownBy(() -> new WebSocketContext(connection, alice, null)).hasMessage("connectedAt");
    }

    @Test
    void toString_namesConnectionAndUser() {
        assertThat(context.toString()).contains(connection.value()).contains("alice");
    }
}
