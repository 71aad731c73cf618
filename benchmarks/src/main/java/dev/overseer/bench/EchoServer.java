package dev.overseer.bench;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.websockets.jsr.WebSocketDeploymentInfo;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * The baseline: a bare Undertow JSR-356 server whose one programmatic endpoint echoes text frames. Its
 * worker, buffers and dispatch mode are Overseer's (AppModule, WebSocketTransport), so the two differ only
 * in what happens to a frame. Usage: {@code EchoServer [PORT]}; it prints {@code listening on http://HOST:PORT}.
 */
public final class EchoServer {
    static final String HOST = "127.0.0.1";
    static final String PATH = "/ws";

    private EchoServer() {
    }

    /** Echoes every text frame back on the same session. */
    static final class EchoEndpoint extends Endpoint {
        @Override
        public void onOpen(Session session, EndpointConfig config) {
            RemoteEndpoint.Async remote = session.getAsyncRemote();
            session.addMessageHandler(String.class, (MessageHandler.Whole<String>) remote::sendText);
        }
    }

    /** Hands Undertow a new endpoint per connection without reflection. */
    static final class EchoConfigurator extends ServerEndpointConfig.Configurator {
        @Override
        @SuppressWarnings("unchecked")
        public <T> T getEndpointInstance(Class<T> endpointClass) {
            return (T) new EchoEndpoint();
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        boolean dispatch = !Boolean.getBoolean("echo.ioThreadOnly");
        int cores = Runtime.getRuntime().availableProcessors();
        XnioWorker worker = Xnio.getInstance(Undertow.class.getClassLoader()).createWorker(OptionMap.builder()
                .set(Options.WORKER_NAME, "echo")
                .set(Options.WORKER_IO_THREADS, Math.max(2, cores))
                .set(Options.WORKER_TASK_CORE_THREADS, Math.max(8, cores * 8))
                .set(Options.WORKER_TASK_MAX_THREADS, Math.max(8, cores * 8))
                .set(Options.TCP_NODELAY, true)
                .getMap());
        DefaultByteBufferPool buffers = new DefaultByteBufferPool(true, 16 * 1024);
        ServerEndpointConfig endpoint = ServerEndpointConfig.Builder.create(EchoEndpoint.class, PATH)
                .configurator(new EchoConfigurator())
                .build();
        WebSocketDeploymentInfo websockets = new WebSocketDeploymentInfo()
                .setWorker(worker)
                .setBuffers(buffers)
                .setDispatchToWorkerThread(dispatch)
                .addEndpoint(endpoint);
        DeploymentInfo info = Servlets.deployment()
                .setClassLoader(EchoServer.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("echo")
                .addServletContextAttribute(WebSocketDeploymentInfo.ATTRIBUTE_NAME, websockets);
        DeploymentManager deployment = Servlets.newContainer().addDeployment(info);
        deployment.deploy();
        Undertow server = Undertow.builder()
                .setWorker(worker)
                .setByteBufferPool(buffers)
                .addHttpListener(port, HOST)
                .setHandler(Handlers.path().addPrefixPath("/", deployment.start()))
                .build();
        server.start();
        InetSocketAddress address = (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
        System.out.println("echo server (dispatch to worker: " + dispatch + ") listening on http://" + HOST + ":"
                + address.getPort());
        System.out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            worker.shutdown();
            stopped.countDown();
        }));
        stopped.await();
    }
}
