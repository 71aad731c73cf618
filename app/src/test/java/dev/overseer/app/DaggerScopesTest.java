package dev.overseer.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.context.ConnectionId;
import dev.overseer.context.Principal;
import dev.overseer.context.RequestContext;
import dev.overseer.context.RequestId;
import dev.overseer.context.UserId;
import dev.overseer.context.WebSocketContext;
import dev.overseer.http.RequestComponent;
import dev.overseer.ws.ConnectionComponent;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaggerScopesTest {
    @TempDir
    Path dataDir;

    private OverseerComponent graph;

    @BeforeEach
    void buildGraph() {
        graph = OverseerComponent.create(OverseerConfig.fromEnvironment(Map.of(
                "OVERSEER_DATA_DIR", dataDir.toString(),
                "OVERSEER_DB_URL", "jdbc:h2:mem:scopes-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "OVERSEER_JWT_SECRET", "a-secret-that-is-at-least-thirty-two-bytes"), 0));
    }

    @AfterEach
    void closeDatabase() {
        graph.database().close();
    }

    @Test
    void connectionScope_isPerConnection_andSharedByEveryMessageOfOneConnection() {
        ConnectionComponent first = graph.connections().create(webSocket("alice"), session());
        ConnectionComponent second = graph.connections().create(webSocket("alice"), session());

        assertThat(first.frameHandler()).isSameAs(first.frameHandler());
        assertThat(first.outbox()).isSameAs(first.outbox());
        assertThat(second.frameHandler()).isNotSameAs(first.frameHandler());
        assertThat(second.outbox()).isNotSameAs(first.outbox());
        assertThat(second.context().connectionId()).isNotEqualTo(first.context().connectionId());
    }

    @Test
    void requestScope_givesEachRequestItsOwnContext_overOneSharedCore() {
        RequestComponent first = graph.requests().create(request("alice"));
        RequestComponent second = graph.requests().create(request("bob"));

        assertThat(first.actions()).containsKeys("startRun", "getRun", "createThread");
        assertThat(first.context()).isSameAs(first.context());
        assertThat(first.context().userId()).isEqualTo(new UserId("alice"));
        assertThat(second.context().userId()).isEqualTo(new UserId("bob"));
        assertThat(graph.tokens()).isSameAs(graph.tokens());
    }

    private static WebSocketContext webSocket(String user) {
        return new WebSocketContext(ConnectionId.generate(), principal(user), Instant.now());
    }

    private static RequestContext request(String user) {
        return new RequestContext(RequestId.generate(), "GET", "/api/runs/x", principal(user), "127.0.0.1", Instant.now());
    }

    private static Principal principal(String user) {
        return new Principal(new UserId(user), Instant.now().plusSeconds(60));
    }

    /** A Session that is never used: building a component must not touch the socket. */
    private static Session session() {
        return (Session) Proxy.newProxyInstance(Session.class.getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> {
                    throw new AssertionError("the session was used: " + method.getName());
                });
    }
}
