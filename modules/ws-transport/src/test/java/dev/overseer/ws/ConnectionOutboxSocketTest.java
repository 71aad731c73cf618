package dev.overseer.ws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.overseer.core.metrics.OverseerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.undertow.Undertow;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.websockets.jsr.WebSocketDeploymentInfo;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpointConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.Xnio;
import org.xnio.XnioWorker;

/**
 * The outbox over a real Undertow JSR-356 session and a real socket: its batches go through Undertow's own
 * batching, with pings sent on the same connection from another thread meanwhile.
 */
class ConnectionOutboxSocketTest {
    private static final int SENDERS = 4;
    private static final int FRAMES_PER_SENDER = 2_500;
    private static final int PINGS = 50;
    private static final WebSocketSettings SETTINGS = new WebSocketSettings(65_536, Duration.ofSeconds(25),
            Duration.ofSeconds(75), 10, 1024 * 1024);

    private final CompletableFuture<Session> opened = new CompletableFuture<>();
    private XnioWorker worker;
    private DeploymentManager deployment;
    private Undertow server;

    @BeforeEach
    void startServer() throws Exception {
        worker = Xnio.getInstance().createWorker(OptionMap.builder()
                .set(Options.WORKER_IO_THREADS, 2)
                .set(Options.WORKER_TASK_CORE_THREADS, 4)
                .set(Options.WORKER_TASK_MAX_THREADS, 4)
                .getMap());
        DefaultByteBufferPool buffers = new DefaultByteBufferPool(true, 16 * 1024);
        Endpoint endpoint = new Endpoint() {
            @Override
            public void onOpen(Session session, EndpointConfig config) {
                opened.complete(session);
            }
        };
        ServerEndpointConfig config = ServerEndpointConfig.Builder.create(Endpoint.class, "/burst")
                .configurator(new ServerEndpointConfig.Configurator() {
                    @Override
                    public <T> T getEndpointInstance(Class<T> type) {
                        return type.cast(endpoint);
                    }
                })
                .build();
        WebSocketDeploymentInfo websockets = new WebSocketDeploymentInfo()
                .setWorker(worker)
                .setBuffers(buffers)
                .setDispatchToWorkerThread(true)
                .addEndpoint(config);
        DeploymentInfo info = Servlets.deployment()
                .setClassLoader(ConnectionOutboxSocketTest.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("outbox-socket-test")
                .addServletContextAttribute(WebSocketDeploymentInfo.ATTRIBUTE_NAME, websockets);
        deployment = Servlets.newContainer().addDeployment(info);
        deployment.deploy();
        server = Undertow.builder()
                .setWorker(worker)
                .setByteBufferPool(buffers)
                .addHttpListener(0, "127.0.0.1")
                .setHandler(deployment.start())
                .build();
        server.start();
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            server.stop();
        }
        deployment.stop();
        deployment.undeploy();
        worker.shutdown();
    }

    @Test
    void aBurstFromManyThreads_arrivesWhole_inEachSendersOrder_withEveryPingSentMeanwhile() throws Exception {
        Client client = new Client();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + port() + "/burst"), client)
                .get(10, TimeUnit.SECONDS);
        Session session = opened.get(10, TimeUnit.SECONDS);
        ConnectionOutbox outbox = new ConnectionOutbox(session, SETTINGS,
                new WebSocketMetrics(new OverseerMetrics(new SimpleMeterRegistry()), new ConnectionRegistry()));

        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService senders = Executors.newFixedThreadPool(SENDERS + 1)) {
            for (int t = 0; t < SENDERS; t++) {
                int sender = t;
                senders.submit(() -> {
                    start.await();
                    for (int i = 0; i < FRAMES_PER_SENDER; i++) {
                        outbox.send("{\"sender\":" + sender + ",\"seq\":" + i + "}");
                    }
                    return null;
                });
            }
            senders.submit(() -> {
                start.await();
                for (int i = 0; i < PINGS; i++) {
                    session.getAsyncRemote().sendPing(ByteBuffer.wrap(new byte[] {(byte) i}));
                }
                return null;
            });
            start.countDown();
        }

        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(client.texts).hasSize(SENDERS * FRAMES_PER_SENDER));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(client.pings).hasValue(PINGS));
        for (int t = 0; t < SENDERS; t++) {
            String prefix = "{\"sender\":" + t + ",";
            List<String> ofSender = client.texts.stream().filter(text -> text.startsWith(prefix)).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < FRAMES_PER_SENDER; i++) {
                expected.add(prefix + "\"seq\":" + i + "}");
            }
            assertThat(ofSender).as("frames of sender %d, in its order", t).isEqualTo(expected);
        }
        assertThat(outbox.queuedChars()).isZero();
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }

    private int port() {
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    /** Collects whole text messages and counts pings (the JDK client answers them itself). */
    private static final class Client implements WebSocket.Listener {
        final List<String> texts = new CopyOnWriteArrayList<>();
        final AtomicInteger pings = new AtomicInteger();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                texts.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPing(WebSocket webSocket, ByteBuffer message) {
            pings.incrementAndGet();
            return WebSocket.Listener.super.onPing(webSocket, message);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            texts.add("error: " + error);
        }
    }
}
