package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests that never finish arriving, and bodies refused (ADR 0018): each gets a problem on an open connection
 * or is closed within the read timeout, and connections that never authenticate cannot hold more than their bound.
 */
class StalledRequestTest {
    private static final int READ_TIMEOUT_SECONDS = 2;
    private static final int MAX_UNAUTHENTICATED = 20;
    private static TestServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start(Map.of(
                "OVERSEER_HTTP_READ_TIMEOUT_SECONDS", Integer.toString(READ_TIMEOUT_SECONDS),
                "OVERSEER_MAX_UNAUTHENTICATED_CONNECTIONS", Integer.toString(MAX_UNAUTHENTICATED)));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void bodyThatStopsArriving_isAnswered408_withinTheReadTimeout() throws IOException {
        try (Socket socket = connect()) {
            long started = System.nanoTime();
            send(socket, "POST /api/threads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer " + server.token("stalled") + "\r\nContent-Length: 2097152\r\n\r\n0123456789");
            String answer = readAll(socket);
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            assertThat(answer).startsWith("HTTP/1.1 408").contains("application/problem+json")
                    .contains("\"code\":\"request_timeout\"").contains("Connection: close");
            assertThat(took).isBetween(Duration.ofMillis(READ_TIMEOUT_SECONDS * 1000L - 200),
                    Duration.ofSeconds(READ_TIMEOUT_SECONDS + 3));
        }
    }

    @Test
    void bodyOfARequestWithoutAToken_isNotWaitedFor_401AndClosed() throws IOException {
        try (Socket socket = connect()) {
            send(socket, "POST /api/threads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2097152\r\n\r\n0123456789");
            assertThat(readAll(socket)).startsWith("HTTP/1.1 401").contains("Connection: close");
        }
    }

    @Test
    void chunkedBodyOverTheLimit_is413_andAMalformedChunk_is400() throws IOException {
        String head = "POST /api/threads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + server.token("chunked") + "\r\nTransfer-Encoding: chunked\r\n\r\n";
        try (Socket socket = connect()) {
            send(socket, head);
            String chunk = Integer.toHexString(65_536) + "\r\n" + "a".repeat(65_536) + "\r\n";
            try {
                for (int i = 0; i < 32; i++) {
                    send(socket, chunk);
                }
            } catch (SocketException e) {
                // the server answered and closed before the rest was sent
            }
            String answer = readAll(socket);
            assertThat(answer).startsWith("HTTP/1.1 413").contains("\"code\":\"body_too_large\"");
        }
        try (Socket socket = connect()) {
            send(socket, head + "zz\r\n{}\r\n0\r\n\r\n");
            String answer = readAll(socket);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("application/problem+json")
                    .contains("chunked transfer coding");
        }
        try (Socket socket = connect()) {
            send(socket, head + "2\r\n{}\r\n0\r\n\r\n");
            assertThat(readAll(socket)).as("a well-formed chunked body").startsWith("HTTP/1.1 201");
        }
    }

    @Test
    void connectionThatSendsNothing_isClosedAfterTheReadTimeout() throws IOException {
        try (Socket socket = connect()) {
            long started = System.nanoTime();
            assertThat(readAll(socket)).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isBetween(Duration.ofMillis(READ_TIMEOUT_SECONDS * 1000L - 200), Duration.ofSeconds(READ_TIMEOUT_SECONDS + 3));
        }
    }

    @Test
    void beyondTheUnauthenticatedBound_newConnectionsAreClosed_untilTheStalledOnesTimeOut() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_UNAUTHENTICATED; i++) {
                stalled.add(connect());
            }
            // Each of the server's IO threads accepts: let the last of them be counted before the next one comes.
            Thread.sleep(300);
            try (Socket refused = connect()) {
                assertThat(answerOrClosed(refused, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
                        .as("a connection beyond the bound").isEmpty();
            }
            Thread.sleep(Duration.ofSeconds(READ_TIMEOUT_SECONDS + 1));
            Http http = new Http(server, server.token("after-the-flood"));
            assertThat(http.get("/api/threads").status()).isEqualTo(200);
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        socket.setSoTimeout((READ_TIMEOUT_SECONDS + 5) * 1000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** What the server sends until it closes the connection ("" when it closes without a word). */
    private static String readAll(Socket socket) {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        try {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            for (int read; (read = in.read(buffer)) >= 0; ) {
                received.write(buffer, 0, read);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server neither answered nor closed; got: " + received, e);
        } catch (SocketException e) {
            // closed by a reset: what came before it is the answer
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return received.toString(StandardCharsets.US_ASCII);
    }

    private static String answerOrClosed(Socket socket, String request) {
        try {
            send(socket, request);
        } catch (IOException e) {
            return "";
        }
        return readAll(socket);
    }
}
