package dev.overseer.app;

import dev.overseer.http.HttpSettings;
import dev.overseer.http.HttpTransport;
import dev.overseer.http.UnauthenticatedConnections;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.HttpOpenListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The one HTTP/1.1 listener both transports share, opened the way {@code Undertow.start} opens one, with the
 * connection admission of {@link UnauthenticatedConnections} in front of Undertow's open listener (ADR 0018).
 */
final class HttpListener implements AutoCloseable {
    private final AcceptingChannel<StreamConnection> server;

    private HttpListener(AcceptingChannel<StreamConnection> server) {
        this.server = server;
    }

    /**
     * Binds {@code host:port} and starts accepting: request heads must arrive within the read timeout, a
     * keep-alive connection idle for the idle timeout is closed, bodies are bounded by
     * {@link HttpTransport#MAX_ENTITY_BYTES}.
     */
    static HttpListener open(XnioWorker worker, ByteBufferPool buffers, String host, int port, HttpHandler root,
            HttpSettings settings, UnauthenticatedConnections admission) throws IOException {
        OptionMap undertowOptions = OptionMap.builder()
                .set(UndertowOptions.BUFFER_PIPELINED_DATA, true)
                // The HTTP transport decodes the target itself, so a malformed escape is a problem (PercentDecoding).
                .set(UndertowOptions.DECODE_URL, false)
                .set(UndertowOptions.MAX_ENTITY_SIZE, HttpTransport.MAX_ENTITY_BYTES)
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, (int) settings.readTimeout().toMillis())
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, (int) settings.idleTimeout().toMillis())
                .getMap();
        HttpOpenListener http = new HttpOpenListener(buffers, undertowOptions);
        http.setRootHandler(root);
        OptionMap socketOptions = OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, worker.getIoThreadCount())
                .set(Options.TCP_NODELAY, true)
                .set(Options.REUSE_ADDRESSES, true)
                .set(Options.BALANCING_TOKENS, 1)
                .set(Options.BALANCING_CONNECTIONS, 2)
                .set(Options.BACKLOG, 1000)
                .getMap();
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ConfigException("OVERSEER_HOST: cannot resolve '" + host + "' to an address to listen on; use a name or "
                    + "address of this machine (0.0.0.0 for all of its interfaces)");
        }
        AcceptingChannel<StreamConnection> server = worker.createStreamConnectionServer(address,
                ChannelListeners.openListenerAdapter(admission.admitting(http)), socketOptions);
        server.resumeAccepts();
        return new HttpListener(server);
    }

    InetSocketAddress address() {
        return server.getLocalAddress(InetSocketAddress.class);
    }

    /** Stops accepting; open connections are left to their owners. */
    @Override
    public void close() {
        IoUtils.safeClose(server);
    }
}
