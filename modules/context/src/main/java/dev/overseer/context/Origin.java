package dev.overseer.context;

import java.util.Objects;

/** Where a run came from: a WebSocket connection or an HTTP request. */
public sealed interface Origin {
    /** The name stored on a run and shown to clients: {@code websocket} or {@code http}. */
    String label();

    /** A run started by a frame on a WebSocket connection. */
    record WebSocket(ConnectionId connectionId) implements Origin {
        public WebSocket {
            Objects.requireNonNull(connectionId, "connectionId");
        }

        @Override
        public String label() {
            return "websocket";
        }
    }

    /** A run started by an HTTP request. */
    record Http(RequestId requestId) implements Origin {
        public Http {
            Objects.requireNonNull(requestId, "requestId");
        }

        @Override
        public String label() {
            return "http";
        }
    }
}
