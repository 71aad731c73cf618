package dev.overseer.it;

import static dev.overseer.it.Frames.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.context.WebSocketContext;
import dev.overseer.ws.ConnectionRegistry;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The connection registry and everything a connection holds are released when it closes. */
class ConnectionLeakTest {
    private static final int CYCLES = 1_000;
    private static final int CONCURRENCY = 10;
    private static final int USERS = 50;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void thousandConnectDisconnectCycles_leaveNoConnectionUserOrContextBehind() throws Exception {
        ConnectionRegistry registry = server.server().webSockets().connections();
        List<WeakReference<WebSocketContext>> contexts = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENCY)) {
            List<Future<WeakReference<WebSocketContext>>> cycles = new ArrayList<>();
            for (int i = 0; i < CYCLES; i++) {
                int cycle = i;
                cycles.add(pool.submit(() -> connectAndClose(registry, cycle)));
            }
            for (Future<WeakReference<WebSocketContext>> cycle : cycles) {
                contexts.add(cycle.get(60, TimeUnit.SECONDS));
            }
        }
        assertThat(contexts).hasSize(CYCLES);

        await().atMost(Duration.ofSeconds(10)).until(() -> registry.size() == 0 && registry.users() == 0);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
            System.gc();
            return contexts.stream().filter(reference -> reference.get() != null).count() == 0;
        });
    }

    private static WeakReference<WebSocketContext> connectAndClose(ConnectionRegistry registry, int cycle) {
        String user = "leak-" + (cycle % USERS);
        try (WsClient client = WsClient.connect(server, server.token(user))) {
            JsonNode hello = client.next();
            assertThat(type(hello)).isEqualTo("connection_established");
            assertThat(hello.path("user_id").asText()).isEqualTo(user);
            String connectionId = hello.path("connection_id").asText();
            WebSocketContext context = registry.openContexts().stream()
                    .filter(open -> open.connectionId().value().equals(connectionId))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("connection " + connectionId + " is not registered"));
            if (cycle % 4 == 0) {
                client.send(Frames.ping());
                assertThat(type(client.next())).isEqualTo("pong");
            }
            return new WeakReference<>(context);
        }
    }
}
