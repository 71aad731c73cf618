package dev.overseer.ws;

import dev.overseer.core.auth.CorsPolicy;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.websockets.jsr.WebSocketDeploymentInfo;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.servlet.ServletException;
import jakarta.websocket.CloseReason;
import jakarta.websocket.server.ServerEndpointConfig;
import java.time.Duration;
import java.util.List;
import org.xnio.XnioWorker;

/**
 * The WebSocket transport: an undertow-websockets-jsr deployment serving {@code GET /ws}, behind the
 * upgrade gate that refuses unauthenticated or over-limit upgrades with plain HTTP.
 */
@Singleton
public final class WebSocketTransport {
    public static final String PATH = "/ws";
    /** How long shutdown waits for connections to write what they have queued before closing them anyway. */
    static final Duration FLUSH_BEFORE_CLOSE = Duration.ofSeconds(5);

    private final OverseerEndpointConfigurator configurator;
    private final HandshakeAuthenticator authenticator;
    private final CorsPolicy origins;
    private final ConnectionRegistry connections;
    private final ConnectionSupervision supervision;
    private final WebSocketSettings settings;
    private final XnioWorker worker;
    private final ByteBufferPool buffers;
    private DeploymentManager deployment;
    private UpgradeGate gate;

    /** {@code metrics}: taken so that the transport's meters are published from the start, not at the first connection. */
    @Inject
    WebSocketTransport(OverseerEndpointConfigurator configurator, HandshakeAuthenticator authenticator,
            CorsPolicy origins, ConnectionRegistry connections, ConnectionSupervision supervision, WebSocketSettings settings,
            XnioWorker worker, ByteBufferPool buffers, WebSocketMetrics metrics) {
        this.configurator = configurator;
        this.authenticator = authenticator;
        this.origins = origins;
        this.connections = connections;
        this.supervision = supervision;
        this.settings = settings;
        this.worker = worker;
        this.buffers = buffers;
    }

    /** Deploys the endpoint and returns the handler to mount at {@link #PATH}. */
    public HttpHandler handler() throws ServletException {
        ServerEndpointConfig endpoint = ServerEndpointConfig.Builder
                .create(OverseerEndpoint.class, PATH)
                .subprotocols(List.of(ServerFrames.PROTOCOL))
                .configurator(configurator)
                .build();
        WebSocketDeploymentInfo websockets = new WebSocketDeploymentInfo()
                .setWorker(worker)
                .setBuffers(buffers)
                .setDispatchToWorkerThread(true)
                .addEndpoint(endpoint);
        DeploymentInfo info = Servlets.deployment()
                .setClassLoader(WebSocketTransport.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("overseer-websocket")
                .addServletContextAttribute(WebSocketDeploymentInfo.ATTRIBUTE_NAME, websockets);
        deployment = Servlets.newContainer().addDeployment(info);
        deployment.deploy();
        gate = new UpgradeGate(authenticator, origins, connections, settings, deployment.start());
        return gate;
    }

    /** Refuses new upgrades (503) while open connections keep streaming. */
    public void refuseUpgrades() {
        if (gate != null) {
            gate.refuseAll();
        }
    }

    /** The open connections. */
    public ConnectionRegistry connections() {
        return connections;
    }

    /**
     * Closes every connection with 1001 once what it has queued is written (the terminal events of runs the
     * shutdown stopped among it), giving slow readers {@link #FLUSH_BEFORE_CLOSE} before they are cut, and stops
     * the deployment.
     */
    public void shutdown() {
        CloseReason goingAway = new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down");
        connections.all().forEach(connection -> connection.outbox().closeWhenSent(goingAway));
        long deadline = System.nanoTime() + FLUSH_BEFORE_CLOSE.toNanos();
        while (connections.size() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        connections.all().forEach(connection -> connection.outbox().close(goingAway));
        supervision.close();
        if (deployment != null) {
            try {
                deployment.stop();
            } catch (ServletException e) {
                throw new IllegalStateException("stopping the WebSocket deployment failed", e);
            }
            deployment.undeploy();
        }
    }
}
