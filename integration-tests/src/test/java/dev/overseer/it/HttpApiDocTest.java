package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.it.EventStreamClient.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replays docs/http-api.md against a real server: every documented curl request is sent and its response must
 * have the documented status, headers and body shape (the conventions are at the end of that page).
 */
class HttpApiDocTest {
    private static final Path DOC = Path.of("..", "docs", "http-api.md");
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern ID = Pattern.compile("\\b(thr|run|msg|req|conn)_[0-9a-z]{26}\\b");
    private static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
    private static final Pattern ASSIGNMENT = Pattern.compile("^(?:export\\s+)?([A-Z][A-Z0-9_]*)=(.*)$");
    private static final Pattern TOKEN_COMMAND = Pattern.compile(
            "^\\$\\(java -jar app/target/overseer\\.jar token --user ([A-Za-z0-9_.@-]+)\\)$");
    private static final Set<String> ACTIVE_RUN_STATUSES = Set.of("queued", "running");
    private static final String POLL_MARKER = "<!-- doc-test: poll -->";

    private static TestServer server;

    /** A documented curl request, ready to send. */
    private record DocRequest(String command, String method, String url, Map<String, String> headers, String body) {
    }

    /** A documented or real response: status, headers (lower-case names), body text. */
    private record DocResponse(int status, Map<String, String> headers, String body) {
    }

    /** A fenced block of the page: its language tag, text and the line it starts on. */
    private record Block(String language, String text, int line, boolean poll) {
    }

    private final Map<String, String> variables = new HashMap<>();
    /** Documented id → the real id that stood in its place. */
    private final Map<String, String> ids = new HashMap<>();
    private int replayed;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void httpApiDoc_everyDocumentedRequest_getsTheDocumentedResponse() throws IOException {
        assertThat(DOC).as("docs/http-api.md, read from the integration-tests module").exists();
        List<Block> blocks = blocks(Files.readString(DOC, StandardCharsets.UTF_8));
        DocRequest pending = null;
        for (Block block : blocks) {
            switch (block.language()) {
                case "sh" -> {
                    assertThat(pending).as("the response of `%s` is documented before line %s", pending, block.line())
                            .isNull();
                    pending = shell(block);
                }
                case "http" -> {
                    assertThat(pending).as("the http block at line %s follows a curl command", block.line()).isNotNull();
                    replay(pending, block);
                    pending = null;
                }
                default -> {
                }
            }
        }
        assertThat(pending).as("the last curl command has a documented response").isNull();
        assertThat(replayed).as("requests replayed").isGreaterThanOrEqualTo(25);
        assertThat(ids.keySet()).as("documented ids").anyMatch(id -> id.startsWith("thr_")).anyMatch(id -> id.startsWith("run_"));
    }

    /** Runs the lines of an sh block; returns the curl request it holds, if any (it must be the last command). */
    private DocRequest shell(Block block) {
        DocRequest request = null;
        for (String line : block.text().replace("\\\n", " ").split("\n")) {
            String command = line.trim();
            if (command.isEmpty() || command.startsWith("#")) {
                continue;
            }
            assertThat(request).as("one curl command per sh block (line %s)", block.line()).isNull();
            Matcher assignment = ASSIGNMENT.matcher(command);
            if (command.startsWith("curl ")) {
                request = curl(command);
            } else if (command.equals("java -jar app/target/overseer.jar serve")
                    || command.equals("java -jar app/target/overseer.jar")) {
                // The test runs its own server.
            } else if (assignment.matches()) {
                assign(assignment.group(1), unquote(assignment.group(2).trim()), block.line());
            } else {
                fail("line %s of docs/http-api.md: the doc test does not know this command: %s", block.line(), command);
            }
        }
        return request;
    }

    private void assign(String name, String value, int line) {
        Matcher token = TOKEN_COMMAND.matcher(value);
        if (token.matches()) {
            variables.put(name, server.token(token.group(1)));
        } else if (value.startsWith("http://") || value.startsWith("https://")) {
            variables.put(name, "http://127.0.0.1:" + server.port());
        } else if (ID.matcher(value).matches()) {
            assertThat(ids).as("line %s: %s=%s names an id that an earlier response holds", line, name, value)
                    .containsKey(value);
            variables.put(name, ids.get(value));
        } else {
            fail("line %s: the doc test cannot bind %s=%s", line, name, value);
        }
    }

    /** Parses the curl subset the page uses: -s -S -i -N (combinable), -X, -H, -d, and one URL. */
    private DocRequest curl(String command) {
        List<String> words = words(command);
        String method = null;
        String url = null;
        String body = null;
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < words.size(); i++) {
            String word = words.get(i);
            switch (word) {
                case "-X", "--request" -> method = words.get(++i);
                case "-H", "--header" -> {
                    String header = words.get(++i);
                    int colon = header.indexOf(':');
                    headers.put(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
                }
                case "-d", "--data", "--data-raw", "--data-binary" -> body = words.get(++i);
                default -> {
                    if (word.matches("-[sSiN]+") || word.equals("--no-buffer")) {
                        continue;
                    }
                    assertThat(word).as("an option the doc test does not know in `%s`", command).doesNotStartWith("-");
                    assertThat(url).as("one URL in `%s`", command).isNull();
                    url = word;
                }
            }
        }
        assertThat(url).as("the URL of `%s`", command).isNotNull();
        return new DocRequest(command, method != null ? method : body != null ? "POST" : "GET", url, headers, body);
    }

    private void replay(DocRequest request, Block block) {
        DocResponse documented = response(block.text());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            Map<String, String> before = new HashMap<>(ids);
            DocResponse real = send(request);
            try {
                compare(request, documented, real);
                replayed++;
                return;
            } catch (AssertionError mismatch) {
                if (!block.poll() || System.nanoTime() > deadline) {
                    throw new AssertionError("docs/http-api.md line " + block.line() + ": `" + request.command()
                            + "` answered\n" + real + "\n" + mismatch.getMessage(), mismatch);
                }
                ids.clear();
                ids.putAll(before);
                sleepBeforeRetry();
            }
        }
    }

    private static void sleepBeforeRetry() {
        try {
            // A documented poll: the page tells readers to ask again, and so does the test (bounded by its deadline).
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private DocResponse send(DocRequest request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(java.net.URI.create(request.url()))
                .timeout(Duration.ofSeconds(30))
                .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(request.body()));
        request.headers().forEach(builder::header);
        try {
            HttpResponse<String> response = CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> headers = new LinkedHashMap<>();
            response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
            return new DocResponse(response.statusCode(), headers, response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void compare(DocRequest request, DocResponse documented, DocResponse real) {
        assertThat(real.status()).as("status").isEqualTo(documented.status());
        documented.headers().forEach((name, value) -> {
            assertThat(real.headers()).as("headers").containsKey(name);
            compareText("header " + name, value, real.headers().get(name));
        });
        String contentType = documented.headers().getOrDefault("content-type", "");
        if (documented.body().isEmpty()) {
            assertThat(real.body()).as("body").isEmpty();
        } else if (contentType.startsWith("text/event-stream")) {
            List<Event> expected = events(documented.body());
            List<Event> actual = events(real.body());
            assertThat(actual).as("events").hasSameSizeAs(expected);
            for (int i = 0; i < expected.size(); i++) {
                assertThat(actual.get(i).id()).as("id of event %s", i + 1).isEqualTo(expected.get(i).id());
                assertThat(actual.get(i).event()).as("event of event %s", i + 1).isEqualTo(expected.get(i).event());
                compareJson("data of event " + (i + 1), json(expected.get(i).data()), json(actual.get(i).data()), null);
            }
        } else if (contentType.contains("json")) {
            compareJson("body", json(documented.body()), json(real.body()), null);
        } else {
            compareText("body", documented.body(), real.body());
        }
    }

    /** Same fields, same array lengths, same values but for ids, timestamps and what an active run may change. */
    private void compareJson(String path, JsonNode expected, JsonNode actual, JsonNode expectedParent) {
        if (expected.isObject()) {
            assertThat(actual.isObject()).as("%s is an object", path).isTrue();
            Set<String> expectedFields = fieldNames(expected);
            assertThat(fieldNames(actual)).as("fields of %s", path).containsExactlyInAnyOrderElementsOf(expectedFields);
            for (String field : expectedFields) {
                compareJson(path + "." + field, expected.get(field), actual.get(field), expected);
            }
            return;
        }
        if (expected.isArray()) {
            assertThat(actual.isArray()).as("%s is an array", path).isTrue();
            assertThat(actual.size()).as("length of %s", path).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                compareJson(path + "[" + i + "]", expected.get(i), actual.get(i), expected);
            }
            return;
        }
        String field = path.substring(path.lastIndexOf('.') + 1);
        boolean activeRun = expectedParent != null && expectedParent.has("origin")
                && ACTIVE_RUN_STATUSES.contains(expectedParent.path("status").asText());
        if (activeRun && field.equals("status")) {
            assertThat(actual.asText()).as(path).isIn("queued", "running", "completed", "cancelled", "failed");
        } else if (activeRun && Set.of("started_at", "finished_at", "output").contains(field)
                && (expected.isNull() || actual.isNull())) {
            assertThat(actual.isNull() || actual.isTextual()).as(path).isTrue();
        } else if (field.equals("duration_ms")) {
            assertThat(actual.isIntegralNumber()).as(path).isTrue();
        } else if (expected.isTextual()) {
            assertThat(actual.isTextual()).as("%s is a string", path).isTrue();
            compareText(path, expected.asText(), actual.asText());
        } else {
            assertThat(actual).as(path).isEqualTo(expected);
        }
    }

    /** Equal text, where an id stands for the real id it was first seen with, and timestamps match any timestamp. */
    private void compareText(String what, String expected, String actual) {
        if (ID.matcher(expected).matches()) {
            Matcher real = ID.matcher(actual);
            assertThat(real.matches()).as("%s is an id like %s", what, expected).isTrue();
            assertThat(actual).as("%s has the prefix of %s", what, expected)
                    .startsWith(expected.substring(0, expected.indexOf('_') + 1));
            String known = ids.putIfAbsent(expected, actual);
            if (known != null && !expected.startsWith("req_")) {
                assertThat(actual).as("%s: the page's %s stands for one real id", what, expected).isEqualTo(known);
            }
            return;
        }
        if (TIMESTAMP.matcher(expected).matches()) {
            assertThat(actual).as("%s is a timestamp", what).matches(TIMESTAMP);
            return;
        }
        Matcher embedded = ID.matcher(expected);
        StringBuilder resolved = new StringBuilder();
        while (embedded.find()) {
            assertThat(ids).as("%s names %s, which no earlier response held", what, embedded.group()).containsKey(embedded.group());
            embedded.appendReplacement(resolved, Matcher.quoteReplacement(ids.get(embedded.group())));
        }
        embedded.appendTail(resolved);
        assertThat(actual).as(what).isEqualTo(resolved.toString());
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new LinkedHashSet<>();
        Iterator<String> iterator = node.fieldNames();
        iterator.forEachRemaining(names::add);
        return names;
    }

    /** The events of an event-stream text; comments are skipped. */
    private static List<Event> events(String text) {
        List<Event> events = new ArrayList<>();
        Map<String, String> fields = new HashMap<>();
        for (String line : (text + "\n\n").split("\n", -1)) {
            if (line.isEmpty()) {
                if (fields.containsKey("data")) {
                    events.add(new Event(fields.get("id"), fields.getOrDefault("event", "message"), fields.get("data")));
                }
                fields.clear();
            } else if (!line.startsWith(":")) {
                int colon = line.indexOf(':');
                String value = line.substring(colon + 1);
                fields.merge(line.substring(0, colon), value.startsWith(" ") ? value.substring(1) : value,
                        (first, more) -> first + "\n" + more);
            }
        }
        return events;
    }

    private static DocResponse response(String text) {
        String[] lines = text.split("\n", -1);
        Matcher statusLine = Pattern.compile("^HTTP/1\\.1 (\\d{3})( .*)?$").matcher(lines[0]);
        assertThat(statusLine.matches()).as("status line %s", lines[0]).isTrue();
        Map<String, String> headers = new LinkedHashMap<>();
        int line = 1;
        for (; line < lines.length && !lines[line].isEmpty(); line++) {
            int colon = lines[line].indexOf(':');
            headers.put(lines[line].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[line].substring(colon + 1).trim());
        }
        StringBuilder body = new StringBuilder();
        for (line++; line < lines.length; line++) {
            body.append(lines[line]).append(line + 1 < lines.length ? "\n" : "");
        }
        return new DocResponse(Integer.parseInt(statusLine.group(1)), headers, body.toString().strip());
    }

    private static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("```")) {
                continue;
            }
            String language = lines[i].substring(3).trim();
            boolean poll = i > 0 && lines[i - 1].trim().equals(POLL_MARKER);
            int start = i + 1;
            StringBuilder text = new StringBuilder();
            for (i++; i < lines.length && !lines[i].startsWith("```"); i++) {
                text.append(lines[i]).append('\n');
            }
            blocks.add(new Block(language, text.toString(), start, poll));
        }
        return blocks;
    }

    /** Shell words: single quotes literal, double quotes and bare words expand $NAME and ${NAME}. */
    private List<String> words(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (c == '\'') {
                int end = command.indexOf('\'', i + 1);
                word.append(command, i + 1, end);
                i = end;
            } else if (c == '"') {
                int end = i + 1;
                StringBuilder quoted = new StringBuilder();
                for (; command.charAt(end) != '"'; end++) {
                    if (command.charAt(end) == '\\' && "\"\\$".indexOf(command.charAt(end + 1)) >= 0) {
                        end++;
                    }
                    quoted.append(command.charAt(end));
                }
                word.append(expand(quoted.toString()));
                i = end;
            } else {
                int end = i;
                while (end < command.length() && !Character.isWhitespace(command.charAt(end))
                        && command.charAt(end) != '\'' && command.charAt(end) != '"') {
                    end++;
                }
                word.append(expand(command.substring(i, end)));
                i = end - 1;
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    private String expand(String text) {
        Matcher variable = Pattern.compile("\\$\\{?([A-Z][A-Z0-9_]*)}?").matcher(text);
        StringBuilder expanded = new StringBuilder();
        while (variable.find()) {
            assertThat(variables).as("$%s is set before it is used", variable.group(1)).containsKey(variable.group(1));
            variable.appendReplacement(expanded, Matcher.quoteReplacement(variables.get(variable.group(1))));
        }
        return variable.appendTail(expanded).toString();
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("'") && value.endsWith("'") || value.startsWith("\"") && value.endsWith("\""))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static JsonNode json(String text) {
        try {
            return WsClient.JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
