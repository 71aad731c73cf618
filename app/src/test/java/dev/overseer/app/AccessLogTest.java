package dev.overseer.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped {@code logback.xml}: the access log ({@code dev.overseer.access}) is written off the request's
 * thread, yet every line reaches the console, in order, with the caller's thread and MDC, like any other line.
 */
class AccessLogTest {
    private static final int LINES = 20_000;

    @Test
    void accessLines_inABurst_allReachTheConsole_inOrder_withTheCallersThreadAndRequestId() throws Exception {
        PrintStream console = System.out;
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        LogbackMDCAdapter mdc = new LogbackMDCAdapter();
        context.setMDCAdapter(mdc);
        String thread = Thread.currentThread().getName();
        try {
            System.setOut(new PrintStream(written, true, StandardCharsets.UTF_8));
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(AccessLogTest.class.getResource("/logback.xml"));
            Logger access = context.getLogger("dev.overseer.access");
            assertThat(access.iteratorForAppenders()).toIterable().singleElement().isInstanceOf(AsyncAppender.class);

            mdc.put("request_id", "req_burst");
            for (int i = 0; i < LINES; i++) {
                access.info("POST /api/threads/thr_1/runs 200 {}ms request_id=req_burst user=alice remote=127.0.0.1", i);
            }
            mdc.remove("request_id");
            context.stop();
        } finally {
            System.setOut(console);
        }

        List<String> lines = written.toString(StandardCharsets.UTF_8).lines()
                .filter(line -> line.contains(" dev.overseer.access ")).toList();
        assertThat(lines.size()).as("access lines written").isEqualTo(LINES);
        for (int i = 0; i < LINES; i++) {
            String expected = "\\S+ INFO  \\[\\Q" + thread + "\\E\\] dev\\.overseer\\.access req_burst - "
                    + "POST /api/threads/thr_1/runs 200 " + i + "ms request_id=req_burst user=alice remote=127\\.0\\.0\\.1";
            if (!lines.get(i).matches(expected)) {
                assertThat(lines.get(i)).as("access line %d", i).matches(expected);
            }
        }
    }
}
