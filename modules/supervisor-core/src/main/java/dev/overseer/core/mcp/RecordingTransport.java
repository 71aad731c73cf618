package dev.overseer.core.mcp;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A client transport that notes the JSON-RPC id of each {@code tools/call} it sends, by the call's progress token:
 * the SDK's client does not say which id a request got, and a cancellation must name it. Everything else it hands
 * to the transport it wraps.
 */
final class RecordingTransport implements McpClientTransport {
    private final McpClientTransport transport;
    private final Map<String, Object> requestIds = new ConcurrentHashMap<>();

    RecordingTransport(McpClientTransport transport) {
        this.transport = transport;
    }

    /** The id of the request that carried {@code progressToken}, while that call is in flight. */
    Object requestId(String progressToken) {
        return requestIds.get(progressToken);
    }

    /** Forgets a finished call. */
    void forget(String progressToken) {
        requestIds.remove(progressToken);
    }

    @Override
    public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
        return transport.connect(handler);
    }

    @Override
    public void setExceptionHandler(Consumer<Throwable> handler) {
        transport.setExceptionHandler(handler);
    }

    @Override
    public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
        if (message instanceof McpSchema.JSONRPCRequest request && McpSchema.METHOD_TOOLS_CALL.equals(request.method())
                && request.params() instanceof McpSchema.CallToolRequest call && call.progressToken() != null) {
            requestIds.put(String.valueOf(call.progressToken()), request.id());
        }
        return transport.sendMessage(message);
    }

    @Override
    public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
        return transport.unmarshalFrom(data, typeRef);
    }

    @Override
    public List<String> protocolVersions() {
        return transport.protocolVersions();
    }

    @Override
    public Mono<Void> closeGracefully() {
        return transport.closeGracefully();
    }

    @Override
    public void close() {
        transport.close();
    }
}
