package dev.overseer.ws;

import dev.overseer.context.ConnectionId;
import dev.overseer.context.UserId;
import dev.overseer.context.WebSocketContext;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The open WebSocket connections of this process, by id and by user. */
@Singleton
public final class ConnectionRegistry {
    private final Map<ConnectionId, ConnectionComponent> connections = new ConcurrentHashMap<>();
    private final Map<UserId, Integer> perUser = new ConcurrentHashMap<>();

    @Inject
    ConnectionRegistry() {
    }

    /** Registers a connection unless its user already holds {@code max}; false when refused. */
    boolean register(ConnectionComponent connection, int max) {
        boolean[] admitted = {false};
        perUser.compute(connection.context().userId(), (user, count) -> {
            int current = count == null ? 0 : count;
            if (current >= max) {
                return count;
            }
            admitted[0] = true;
            return current + 1;
        });
        if (admitted[0]) {
            connections.put(connection.context().connectionId(), connection);
        }
        return admitted[0];
    }

    void unregister(ConnectionComponent connection) {
        if (connections.remove(connection.context().connectionId(), connection)) {
            perUser.computeIfPresent(connection.context().userId(), (user, count) -> count <= 1 ? null : count - 1);
        }
    }

    /** How many connections this user has open. */
    public int count(UserId user) {
        return perUser.getOrDefault(user, 0);
    }

    /** How many connections are open. */
    public int size() {
        return connections.size();
    }

    /** How many users have a connection open (for leak checks: zero once all are closed). */
    public int users() {
        return perUser.size();
    }

    /** The contexts of the open connections. */
    public List<WebSocketContext> openContexts() {
        return connections.values().stream().map(ConnectionComponent::context).toList();
    }

    Collection<ConnectionComponent> all() {
        return List.copyOf(connections.values());
    }
}
