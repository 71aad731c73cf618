package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The playground at {@code /} and its files, served from the jar with the headers that lock the page down. */
class StaticFilesTest {
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static TestServer server;
    private static Http anonymous;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
        anonymous = new Http(server, null);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void root_servesThePlaygroundPage_withoutAToken_andLockedDown() {
        Http.Response page = anonymous.get("/");

        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(page.body()).contains("<title>Overseer playground</title>")
                .contains("src=\"/playground/app.js\"")
                .contains("java -jar app/target/overseer.jar token --user alice")
                .doesNotContain("<script>").doesNotContain("style=");
        assertLockedDown(page);
        assertThat(page.header("ETag")).matches("\"[0-9a-f]{32}\"");
        assertThat(page.header("Cache-Control")).isEqualTo("no-cache");
    }

    @Test
    void assets_haveTheirContentTypes() {
        Http.Response script = anonymous.get("/playground/app.js");
        assertThat(script.status()).isEqualTo(200);
        assertThat(script.header("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(script.body()).contains("textContent").doesNotContain("innerHTML").doesNotContain("localStorage");
        assertLockedDown(script);

        Http.Response style = anonymous.get("/playground/style.css");
        assertThat(style.status()).isEqualTo(200);
        assertThat(style.header("Content-Type")).isEqualTo("text/css; charset=utf-8");
        assertThat(style.body()).contains(":focus-visible");
        assertLockedDown(style);

        Http.Response icon = anonymous.get("/playground/favicon.svg");
        assertThat(icon.status()).isEqualTo(200);
        assertThat(icon.header("Content-Type")).isEqualTo("image/svg+xml");
    }

    @Test
    void theClientsModules_areServedUnderClient() {
        Http.Response client = anonymous.get("/client/index.js");

        assertThat(client.status()).isEqualTo(200);
        assertThat(client.header("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(client.body()).contains("OverseerClient");
        assertLockedDown(client);
    }

    @Test
    void aKnownETag_isAnswered304WithoutABody() {
        String etag = anonymous.get("/playground/app.js").header("ETag");

        Http.Response again = anonymous.send(anonymous.builder("/playground/app.js").header("If-None-Match", etag).GET());
        assertThat(again.status()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.header("ETag")).isEqualTo(etag);

        Http.Response changed = anonymous.send(anonymous.builder("/playground/app.js")
                .header("If-None-Match", "\"0000\"").GET());
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.body()).isNotEmpty();
    }

    @Test
    void head_answersTheHeadersOfGet_withoutTheBody() {
        Http.Response get = anonymous.get("/");
        Http.Response head = anonymous.send(anonymous.builder("/").method("HEAD", HttpRequest.BodyPublishers.noBody()));

        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(head.header("ETag")).isEqualTo(get.header("ETag"));
        assertThat(head.header("Content-Length"))
                .isEqualTo(Integer.toString(get.body().getBytes(StandardCharsets.UTF_8).length));
    }

    @Test
    void otherMethods_are405WithAllow() {
        for (String path : new String[] {"/", "/playground/app.js", "/client/index.js"}) {
            Http.Response posted = anonymous.send(anonymous.builder(path)
                    .POST(HttpRequest.BodyPublishers.ofString("x")));
            Problems.assertProblem(posted, 405, "method_not_allowed");
            assertThat(posted.header("Allow")).isEqualTo("GET, HEAD");
        }
        Http.Response deleted = anonymous.send(anonymous.builder("/").DELETE());
        Problems.assertProblem(deleted, 405, "method_not_allowed");
    }

    @Test
    void unknownFiles_are404Problems() {
        for (String path : new String[] {"/playground/missing.js", "/playground/app.json", "/playground/index",
                "/client/missing.js", "/playground/.hidden.js", "/playground/test/package.json",
                "/playground/node_modules", "/playground/a%2Fb.js"}) {
            Http.Response missing = anonymous.get(path);
            Problems.assertProblem(missing, 404, "not_found");
            assertThat(missing.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
        }
    }

    @Test
    void pathsThatClimbOut_areNeverServed() {
        // Sent byte for byte on a socket: the JDK client would not send dot segments as they are.
        for (String target : new String[] {"/playground/../index.html", "/playground/..", "/client/../playground/app.js",
                "/playground/%2e%2e/app.js", "/playground/..%2Fapp.js", "/playground/%2e%2e%2fdev-secret",
                "/client/..%5c..%5cpom.xml", "/playground//etc/passwd"}) {
            String response = rawGet(target);
            assertThat(response).as(target).startsWith("HTTP/1.1 404 ");
        }
        assertThat(rawGet("/playground/app.js")).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void metrics_nameTheRouteTemplates_notOneSeriesPerFile() {
        anonymous.get("/");
        anonymous.get("/playground/app.js");
        anonymous.get("/playground/style.css");
        anonymous.get("/playground/missing.js");
        anonymous.get("/client/index.js");

        Scrape scrape = Scrape.parse(anonymous.get("/metrics").body());
        String count = "overseer_http_request_duration_seconds_count";
        assertThat(scrape.value(count, Map.of("method", "GET", "route", "/", "status", "200"))).isGreaterThanOrEqualTo(1);
        assertThat(scrape.value(count, Map.of("method", "GET", "route", "/playground/{file}", "status", "200")))
                .isGreaterThanOrEqualTo(2);
        assertThat(scrape.value(count, Map.of("method", "GET", "route", "/playground/{file}", "status", "404")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.value(count, Map.of("method", "GET", "route", "/client/{file}", "status", "200")))
                .isGreaterThanOrEqualTo(1);
        assertThat(scrape.text()).doesNotContain("route=\"/playground/app.js\"");
    }

    private static void assertLockedDown(Http.Response response) {
        assertThat(response.header("Content-Security-Policy")).isEqualTo(CSP);
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
    }

    private static String rawGet(String target) {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
