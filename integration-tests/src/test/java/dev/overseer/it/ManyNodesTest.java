package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.overseer.app.ConfigException;
import dev.overseer.app.OverseerConfig;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * SPEC §7, ADR 0020: each active run has an owner node and a lease. Nodes in child JVMs share one PostgreSQL: a
 * node that starts leaves the live nodes' runs alone; a node killed with SIGKILL leaves leases that expire, and
 * another node fails its runs {@code interrupted} within the lease plus one renewal; the active-run limit of a user
 * counts the runs of every node; a cancel sent to any node stops the run on the node that runs it (ADR 0021). On H2 there is one node: a second process on the same file stops with one line and
 * exit code 2.
 */
class ManyNodesTest {
    private static final int LEASE_SECONDS = 3;
    private static final long RENEWAL_MILLIS = TimeUnit.SECONDS.toMillis(LEASE_SECONDS) / 3;

    @Test
    void killedNode_hasItsRunsFailedByAnotherWithinLeasePlusRenewal_whileStartingANodeLeavesLiveRunsAlone()
            throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL; the H2 case is the test below");
        String token = Jwts.signed(TestServer.SECRET, "lease-user");
        Map<String, String> lease = Map.of("OVERSEER_RUN_LEASE_SECONDS", Integer.toString(LEASE_SECONDS));
        try (Nodes nodes = Nodes.start("leases", lease)) {
            NodeProcess a = nodes.a();
            NodeProcess b = nodes.b();
            String threadOnA = a.json(token, "POST", "/api/threads", "{}").path("id").asText();
            String runOnA = a.json(token, "POST", "/api/threads/" + threadOnA + "/runs", "{\"content\":\"wait 30 seconds\"}")
                    .path("id").asText();
            String threadOnB = b.json(token, "POST", "/api/threads", "{}").path("id").asText();
            String runOnB = b.json(token, "POST", "/api/threads/" + threadOnB + "/runs", "{\"content\":\"wait 30 seconds\"}")
                    .path("id").asText();
            awaitWaiting(b, token, runOnA);
            awaitWaiting(a, token, runOnB);

            // A third node starts beside them and runs a few renewal periods: it fails neither live run.
            try (NodeProcess c = node("c", nodes.dataDir(), nodes.databaseUrl(), lease)) {
                c.awaitHealthy();
                Thread.sleep(TimeUnit.SECONDS.toMillis(LEASE_SECONDS) + 2 * RENEWAL_MILLIS);
                assertThat(c.json(token, "GET", "/api/runs/" + runOnA, null).path("status").asText())
                        .as("A's run after C started").isEqualTo("running");
                assertThat(c.json(token, "GET", "/api/runs/" + runOnB, null).path("status").asText())
                        .as("B's run after C started").isEqualTo("running");
                // Its thread is still busy on every node.
                assertThat(c.send(token, "POST", "/api/threads/" + threadOnA + "/runs", "{\"content\":\"hi\"}")
                        .statusCode()).isEqualTo(409);
            }

            // A follower on B of A's run, live: it must get the terminal event that the reaping node stores.
            WsClient follower = WsClient.connect(b.ws(), token);
            assertThat(follower.next().path("type").asText()).isEqualTo("connection_established");
            follower.send("{\"type\":\"resume\",\"run_id\":\"" + runOnA + "\",\"after_seq\":0,\"request_id\":\"f\"}");
            follower.until(frame -> frame.path("type").asText().equals("tool_executing"));

            long killed = System.nanoTime();
            a.kill();
            JsonNode failed = await("B fails A's run").atMost(Duration.ofSeconds(LEASE_SECONDS * 3L))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> b.json(token, "GET", "/api/runs/" + runOnA, null),
                            run -> !run.path("status").asText().equals("running"));
            long afterMillis = (System.nanoTime() - killed) / 1_000_000;
            System.out.println("run-lease [" + TestDatabase.kind() + "]: lease_ms=" + LEASE_SECONDS * 1000
                    + ", renewal_ms=" + RENEWAL_MILLIS + ", failed_after_kill_ms=" + afterMillis);

            assertThat(failed.path("status").asText()).isEqualTo("failed");
            assertThat(failed.path("error").path("code").asText()).isEqualTo("interrupted");
            // Within the lease plus one renewal period, with 1.5 s for the reaper's own transaction, this poll and a busy machine.
            assertThat(afterMillis).as("ms from the kill to the run failed")
                    .isLessThanOrEqualTo(LEASE_SECONDS * 1000L + RENEWAL_MILLIS + 1_500);
            List<JsonNode> events = b.events(token, runOnA);
            assertThat(events).extracting(event -> event.path("seq").asInt())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, events.size()).boxed().toList());
            assertThat(events).filteredOn(WsClient::isTerminal).hasSize(1);
            JsonNode last = events.get(events.size() - 1);
            assertThat(last.path("type").asText()).isEqualTo("run_failed");
            assertThat(last.path("payload").path("code").asText()).isEqualTo("interrupted");
            assertThat(events).extracting(event -> event.path("type").asText()).contains("tool_executing");
            try (follower) {
                List<JsonNode> followed = follower.runEvents(runOnA);
                assertThat(followed.get(followed.size() - 1)).as("the follower on B").isEqualTo(last);
            }

            // The thread takes a new run on the surviving node; B's own run was never touched.
            JsonNode again = b.json(token, "POST", "/api/threads/" + threadOnA + "/runs?wait=true",
                    "{\"content\":\"What is 6*7?\"}");
            assertThat(again.path("status").asText()).isEqualTo("completed");
            assertThat(b.json(token, "GET", "/api/runs/" + runOnB, null).path("status").asText()).isEqualTo("running");
            b.json(token, "POST", "/api/runs/" + runOnB + "/cancel", null);
            await("B's run cancelled").atMost(Duration.ofSeconds(10)).until(() ->
                    b.json(token, "GET", "/api/runs/" + runOnB, null).path("status").asText().equals("cancelled"));
        }
    }

    @Test
    void runOnOneNode_isFollowedLiveOnAnother_byResumeSubscribeAndSse_exactlyAsStored() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "follower");
        try (Nodes nodes = Nodes.start("follow", Map.of())) {
            NodeProcess a = nodes.a();
            NodeProcess b = nodes.b();
            String thread = a.json(token, "POST", "/api/threads", "{}").path("id").asText();
            try (WsClient subscriber = WsClient.connect(b.ws(), token);
                    WsClient resumer = WsClient.connect(b.ws(), token)) {
                assertThat(subscriber.next().path("type").asText()).isEqualTo("connection_established");
                assertThat(resumer.next().path("type").asText()).isEqualTo("connection_established");
                subscriber.subscribe(thread, "s");

                // Started over HTTP on A; B's subscriber attaches to it, B's resumer and an SSE stream on B follow it.
                String run = a.json(token, "POST", "/api/threads/" + thread + "/runs", "{\"content\":\"wait 2 seconds\"}")
                        .path("id").asText();
                resumer.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":0,\"request_id\":\"r\"}");
                java.util.concurrent.CompletableFuture<String> sse = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return b.eventStream(token, run);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                List<JsonNode> subscribed = subscriber.runEvents(run);
                List<JsonNode> resumed = resumer.runEvents(run);
                long terminalSeenAt = System.nanoTime();
                List<JsonNode> stored = b.events(token, run);
                assertThat(stored.get(stored.size() - 1).path("type").asText()).isEqualTo("run_completed");
                assertThat(subscribed).as("subscribe on B").containsExactlyElementsOf(stored);
                assertThat(resumed).as("resume on B while live").containsExactlyElementsOf(stored);
                String stream = sse.get(10, TimeUnit.SECONDS);
                for (JsonNode event : stored) {
                    assertThat(stream).as("SSE on B").contains("id: " + event.path("seq").asInt() + "\n");
                }
                assertThat(stream).contains("run_completed");

                // Finished: a resume on B replays exactly the stored events.
                resumer.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":2,\"request_id\":\"r2\"}");
                assertThat(resumer.runEvents(run)).containsExactlyElementsOf(stored.subList(2, stored.size()));
                assertThat(terminalSeenAt).isPositive();
            }
        }
    }

    @Test
    void subscribeOnOneNode_getsEveryShortRunOfAnother_exactlyAsStored() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "short-runs");
        try (Nodes nodes = Nodes.start("short", Map.of())) {
            NodeProcess a = nodes.a();
            String thread = a.json(token, "POST", "/api/threads", "{}").path("id").asText();
            try (WsClient subscriber = WsClient.connect(nodes.b().ws(), token)) {
                assertThat(subscriber.next().path("type").asText()).isEqualTo("connection_established");
                subscriber.subscribe(thread, "s");
                // Each ends within milliseconds. One that ends before B has read the run its announcement names is
                // replayed from the database (under load that happens: LoadSmokeTest's two-node run caught it).
                List<String> started = new java.util.ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    started.add(a.json(token, "POST", "/api/threads/" + thread + "/runs?wait=true",
                            "{\"content\":\"What is 6*7?\"}").path("id").asText());
                }
                for (String run : started) {
                    assertThat(subscriber.runEvents(run)).as("run %s, subscribed on B", run)
                            .containsExactlyElementsOf(a.events(token, run));
                }
            }
        }
    }

    @Test
    void aToolCallWaitingOnOneNode_isAnsweredOnTheOther_overHttpAndOverWebSocket() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "approvals-across");
        Path agentsDir = Files.createTempDirectory("overseer-it-approvals-agents-");
        try (Nodes nodes = Nodes.start("approvals", Map.of("OVERSEER_AGENTS_FILE",
                ApprovalsTest.agentsFile(agentsDir).toString()))) {
            try (WsClient onA = WsClient.connect(nodes.a().ws(), token);
                    WsClient onB = WsClient.connect(nodes.b().ws(), token)) {
                assertThat(onA.next().path("type").asText()).isEqualTo("connection_established");
                assertThat(onB.next().path("type").asText()).isEqualTo("connection_established");

                String overHttp = ApprovalsTest.start(onA, "What is 6*7?");
                String call = onA.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();
                assertThat(nodes.b().json(token, "GET", "/api/runs/" + overHttp, null)
                        .path("pending_approval").path("tool_call_id").asText()).isEqualTo(call);
                JsonNode answered = nodes.b().json(token, "POST", "/api/runs/" + overHttp + "/approvals",
                        "{\"tool_call_id\":\"" + call + "\",\"approved\":true}");
                assertThat(answered.path("status").asText()).isIn("running", "completed");
                List<JsonNode> events = onA.runEvents(overHttp);
                assertThat(events.get(events.size() - 1).path("payload").path("output").asText()).contains("42");
                assertThat(nodes.b().send(token, "POST", "/api/runs/" + overHttp + "/approvals",
                        "{\"tool_call_id\":\"" + call + "\",\"approved\":true}").statusCode()).isEqualTo(409);

                String overWs = ApprovalsTest.start(onA, "What is 2+2?");
                call = onA.nextOfType("approval_requested").path("payload").path("tool_call_id").asText();
                onB.send(ApprovalsTest.approve(overWs, call, false, "not on this node", "across"));
                JsonNode resolved = onB.nextOfType("approval_resolved");
                assertThat(resolved.path("run_id").asText()).isEqualTo(overWs);
                assertThat(resolved.path("payload").path("reason").asText()).isEqualTo("not on this node");
                List<JsonNode> rejected = onA.runEvents(overWs);
                assertThat(rejected).anySatisfy(event -> assertThat(event.path("payload").path("error").asText())
                        .isEqualTo("rejected: not on this node"));
                assertThat(nodes.b().events(token, overWs)).endsWith(rejected.toArray(JsonNode[]::new));
            }
        }
    }

    @Test
    void listenerOfAFollowingNode_dropsWhileTheRunEnds_andItsFollowerStillGetsEveryEventOnceItListensAgain()
            throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "listener");
        try (Nodes nodes = Nodes.start("listener", Map.of()); ListenerCut listener = new ListenerCut(nodes)) {
            NodeProcess a = nodes.a();
            NodeProcess b = nodes.b();
            String thread = a.json(token, "POST", "/api/threads", "{}").path("id").asText();
            try (WsClient follower = WsClient.connect(b.ws(), token)) {
                assertThat(follower.next().path("type").asText()).isEqualTo("connection_established");
                String run = a.json(token, "POST", "/api/threads/" + thread + "/runs",
                        "{\"content\":\"wait 2 seconds\"}").path("id").asText();
                follower.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":0}");
                awaitWaiting(a, token, run);

                // B's LISTEN connection is cut and cannot come back until the run has ended on A: the
                // notification of its last commit never reaches B.
                listener.cut("node_b");
                await("run " + run + " ends on A").atMost(Duration.ofSeconds(20)).until(() ->
                        a.json(token, "GET", "/api/runs/" + run, null).path("status").asText().equals("completed"));
                Thread.sleep(500);
                listener.restore();

                List<JsonNode> followed = follower.runEvents(run);
                List<JsonNode> stored = b.events(token, run);
                assertThat(stored.get(stored.size() - 1).path("type").asText()).isEqualTo("run_completed");
                assertThat(followed).as("resume on B across B's listener reconnecting").containsExactlyElementsOf(stored);
            }
        }
    }

    @Test
    void runAdmittedWhileASubscribersNodeIsNotListening_reachesTheSubscriberOnceItListensAgain() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "subscriber-across-a-gap");
        try (Nodes nodes = Nodes.start("gap", Map.of()); ListenerCut listener = new ListenerCut(nodes)) {
            NodeProcess a = nodes.a();
            String thread = a.json(token, "POST", "/api/threads", "{}").path("id").asText();
            try (WsClient subscriber = WsClient.connect(nodes.b().ws(), token)) {
                assertThat(subscriber.next().path("type").asText()).isEqualTo("connection_established");
                subscriber.subscribe(thread, "s");
                String before = a.json(token, "POST", "/api/threads/" + thread + "/runs?wait=true",
                        "{\"content\":\"What is 6*7?\"}").path("id").asText();
                assertThat(subscriber.runEvents(before)).as("a run while B listens").containsExactlyElementsOf(
                        a.events(token, before));

                // B does not hear the admission of this run: its LISTEN connection is down until the run waits in
                // its tool on A.
                listener.cut("node_b");
                String during = a.json(token, "POST", "/api/threads/" + thread + "/runs",
                        "{\"content\":\"wait 3 seconds\"}").path("id").asText();
                awaitWaiting(a, token, during);
                listener.restore();

                List<JsonNode> followed = subscriber.runEvents(during);
                List<JsonNode> stored = a.events(token, during);
                assertThat(stored.get(stored.size() - 1).path("type").asText()).isEqualTo("run_completed");
                assertThat(followed).as("the run admitted while B did not listen, subscribed on B")
                        .containsExactlyElementsOf(stored);

                // And the next run is told once, as usual.
                String after = a.json(token, "POST", "/api/threads/" + thread + "/runs?wait=true",
                        "{\"content\":\"What is 6*7?\"}").path("id").asText();
                assertThat(subscriber.runEvents(after)).containsExactlyElementsOf(a.events(token, after));
            }
        }
    }

    /**
     * Cuts a node's LISTEN connection to the nodes' database and keeps it from coming back until {@link #restore}
     * (or close): the database refuses new connections meanwhile. A database cannot refuse connections from a
     * session of its own, so this one is on the server's default database.
     */
    private static final class ListenerCut implements AutoCloseable {
        private final String database;
        private final java.sql.Connection admin;

        ListenerCut(Nodes nodes) throws java.sql.SQLException {
            try (java.sql.Connection nodesDatabase = java.sql.DriverManager.getConnection(nodes.databaseUrl(),
                    TestDatabase.user(), "")) {
                database = nodesDatabase.getCatalog();
            }
            admin = java.sql.DriverManager.getConnection(nodes.databaseUrl().replace("/" + database, "/postgres"),
                    TestDatabase.user(), "");
        }

        void cut(String nodeId) throws java.sql.SQLException {
            try (java.sql.Statement sql = admin.createStatement()) {
                sql.execute("ALTER DATABASE \"" + database + "\" ALLOW_CONNECTIONS false");
                try (java.sql.ResultSet cut = sql.executeQuery("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE application_name = 'overseer-node-signals %s'""".formatted(nodeId))) {
                    assertThat(cut.next()).as("the listening connection of %s", nodeId).isTrue();
                }
            }
        }

        void restore() throws java.sql.SQLException {
            try (java.sql.Statement sql = admin.createStatement()) {
                sql.execute("ALTER DATABASE \"" + database + "\" ALLOW_CONNECTIONS true");
            }
        }

        @Override
        public void close() throws java.sql.SQLException {
            try (admin) {
                restore();
            }
        }
    }

    @Test
    void idempotentStarts_threadBusy_andTheListing_holdAcrossNodes() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "retrying-user");
        try (Nodes nodes = Nodes.start("idempotent", Map.of())) {
            NodeProcess a = nodes.a();
            NodeProcess b = nodes.b();
            // HTTP: the same Idempotency-Key on A, then on B, is one run.
            String thread = a.json(token, "POST", "/api/threads", "{\"title\":\"retried\"}").path("id").asText();
            String first = a.send(token, "POST", "/api/threads/" + thread + "/runs", "{\"content\":\"wait 30 seconds\"}",
                    Map.of("Idempotency-Key", "retry-1")).body();
            HttpResponse<String> retried = b.send(token, "POST", "/api/threads/" + thread + "/runs",
                    "{\"content\":\"wait 30 seconds\"}", Map.of("Idempotency-Key", "retry-1"));
            assertThat(retried.statusCode()).as("the retry on B: %s", retried.body()).isEqualTo(202);
            String run = WsClient.JSON.readTree(first).path("id").asText();
            assertThat(WsClient.JSON.readTree(retried.body()).path("id").asText()).as("the retry's run").isEqualTo(run);
            // thread_busy on the other node, for a start without the key.
            HttpResponse<String> busy = b.send(token, "POST", "/api/threads/" + thread + "/runs", "{\"content\":\"hi\"}");
            assertThat(busy.statusCode()).isEqualTo(409);
            assertThat(WsClient.JSON.readTree(busy.body()).path("code").asText()).isEqualTo("thread_busy");
            a.json(token, "POST", "/api/runs/" + run + "/cancel", null);

            // WebSocket: the same request_id on A, then on B, is one run.
            String wsRun;
            try (WsClient onA = WsClient.connect(a.ws(), token)) {
                onA.next();
                onA.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"same\"}");
                wsRun = onA.nextOfType("run_accepted").path("run_id").asText();
                onA.runEvents(wsRun);
            }
            try (WsClient onB = WsClient.connect(b.ws(), token)) {
                onB.next();
                onB.send("{\"type\":\"start_agent\",\"content\":\"What is 6*7?\",\"request_id\":\"same\"}");
                assertThat(onB.nextOfType("run_accepted").path("run_id").asText()).as("the resent start on B").isEqualTo(wsRun);
            }

            // A thread renamed on A is listed so on B at once, first.
            a.json(token, "PATCH", "/api/threads/" + thread, "{\"title\":\"renamed on A\"}");
            JsonNode listed = b.json(token, "GET", "/api/threads?limit=1", null).path("data").get(0);
            assertThat(listed.path("id").asText()).isEqualTo(thread);
            assertThat(listed.path("title").asText()).isEqualTo("renamed on A");
        }
    }

    @Test
    void sigtermOfANode_itsClientsReconnectToAnotherAndResume_losingNothing() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "rolling-user");
        Map<String, String> grace = Map.of("OVERSEER_SHUTDOWN_GRACE_SECONDS", "10");
        try (Nodes nodes = Nodes.start("rolling", grace)) {
            NodeProcess a = nodes.a();
            NodeProcess b = nodes.b();
            List<JsonNode> seen = new java.util.ArrayList<>();
            String run;
            try (WsClient onA = WsClient.connect(a.ws(), token)) {
                assertThat(onA.next().path("type").asText()).isEqualTo("connection_established");
                onA.send("{\"type\":\"start_agent\",\"content\":\"wait 3 seconds\",\"request_id\":\"roll\"}");
                run = onA.nextOfType("run_accepted").path("run_id").asText();
                String runId = run;
                seen.addAll(onA.until(frame -> frame.path("type").asText().equals("tool_executing")
                        && frame.path("run_id").asText().equals(runId)));

                a.process().toHandle().destroy(); // SIGTERM: a rolling restart takes this node away
                assertThat(onA.closeCode().get(15, TimeUnit.SECONDS)).as("close code from the stopping node").isEqualTo(1001);
                seen.addAll(onA.drain());
            }
            List<JsonNode> before = seen.stream().filter(frame -> frame.has("seq")).toList();
            int lastSeq = before.get(before.size() - 1).path("seq").asInt();

            // The client reconnects to the other node and resumes a little before the last seq it saw.
            int from = Math.max(0, lastSeq - 2);
            List<JsonNode> after;
            try (WsClient onB = WsClient.connect(b.ws(), token)) {
                assertThat(onB.next().path("type").asText()).isEqualTo("connection_established");
                onB.send("{\"type\":\"resume\",\"run_id\":\"" + run + "\",\"after_seq\":" + from
                        + ",\"request_id\":\"again\"}");
                after = onB.runEvents(run);
            }
            assertThat(a.process().waitFor(30, TimeUnit.SECONDS)).as("the stopped node exits").isTrue();
            assertThat(a.process().exitValue()).as("its exit code").isZero();
            List<JsonNode> stored = b.events(token, run);
            assertThat(before).as("events seen on A").containsExactlyElementsOf(stored.subList(0, before.size()));
            assertThat(after).as("events resumed on B").containsExactlyElementsOf(stored.subList(from, stored.size()));
            assertThat(stored.get(stored.size() - 1).path("type").asText()).isEqualTo("run_completed");
        }
    }

    @Test
    void activeRuns_areVacuumedByTheNodesEverySecond_soEndedRunsLeaveNoDeadRows() throws Exception {
        assumeTrue(TestDatabase.postgres(), "PostgreSQL keeps a deleted row until a vacuum removes it");
        String token = Jwts.signed(TestServer.SECRET, "housekeeping");
        try (Nodes nodes = Nodes.start("vacuum", Map.of());
                java.sql.Connection database = java.sql.DriverManager.getConnection(nodes.databaseUrl(),
                        TestDatabase.user(), "")) {
            for (int i = 0; i < 20; i++) {
                NodeProcess node = i % 2 == 0 ? nodes.a() : nodes.b();
                String thread = node.json(token, "POST", "/api/threads", "{}").path("id").asText();
                JsonNode run = node.json(token, "POST", "/api/threads/" + thread + "/runs?wait=true",
                        "{\"content\":\"What is 6*7?\"}");
                assertThat(run.path("status").asText()).isEqualTo("completed");
            }
            long vacuums = activeRunsStatistic(database, "vacuum_count");
            await("active_runs vacuumed again").atMost(Duration.ofSeconds(10)).until(() ->
                    activeRunsStatistic(database, "vacuum_count") >= vacuums + 2);
            await("the 20 ended runs' rows removed").atMost(Duration.ofSeconds(10)).until(() ->
                    activeRunsStatistic(database, "n_dead_tup") == 0);
        }
    }

    /** A column of {@code pg_stat_user_tables} for {@code active_runs} (the statistics lag by up to half a second). */
    private static long activeRunsStatistic(java.sql.Connection database, String column) throws java.sql.SQLException {
        try (java.sql.Statement sql = database.createStatement();
                java.sql.ResultSet row = sql.executeQuery(
                        "SELECT " + column + " FROM pg_stat_user_tables WHERE relname = 'active_runs'")) {
            assertThat(row.next()).as("statistics of active_runs").isTrue();
            return row.getLong(1);
        }
    }

    @Test
    void activeRunLimit_holdsAcrossNodes_evenForStartsRacingOnBoth() throws Exception {
        assumeTrue(TestDatabase.postgres(), "several nodes share PostgreSQL");
        String token = Jwts.signed(TestServer.SECRET, "limited-user");
        Map<String, String> limit = Map.of("OVERSEER_MAX_ACTIVE_RUNS_PER_USER", "2");
        try (Nodes nodes = Nodes.start("limit", limit)) {
            NodeProcess a = nodes.a();
            NodeProcess b = nodes.b();
            // Twelve starts on new threads at once, alternating between the nodes: two are admitted.
            List<NodeProcess> both = List.of(a, b);
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> starts = IntStream.range(0, 12)
                    .mapToObj(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return both.get(i % 2).send(token, "POST", "/api/threads/" + both.get(i % 2)
                                    .json(token, "POST", "/api/threads", "{}").path("id").asText() + "/runs",
                                    "{\"content\":\"wait 30 seconds\"}");
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    })).toList();
            Map<Integer, Long> statuses = starts.stream().map(java.util.concurrent.CompletableFuture::join)
                    .collect(java.util.stream.Collectors.groupingBy(HttpResponse::statusCode,
                            java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            System.out.println("run-limit [" + TestDatabase.kind() + "]: starts=12, limit=2, statuses=" + statuses);
            assertThat(statuses).isEqualTo(Map.of(202, 2L, 429, 10L));
            // Each admitted run with the node that runs it (cancelling a run of another node is not done yet).
            Map<String, NodeProcess> admitted = new java.util.LinkedHashMap<>();
            for (int i = 0; i < starts.size(); i++) {
                HttpResponse<String> response = starts.get(i).join();
                if (response.statusCode() == 202) {
                    admitted.put(WsClient.JSON.readTree(response.body()).path("id").asText(), both.get(i % 2));
                }
            }
            String refused = starts.stream().map(java.util.concurrent.CompletableFuture::join)
                    .filter(response -> response.statusCode() == 429).findFirst().orElseThrow().body();
            assertThat(WsClient.JSON.readTree(refused).path("code").asText()).isEqualTo("too_many_runs");

            // A cancel sent to the node that does not run the run reaches the one that does (NOTIFY), at once: over
            // HTTP for the first admitted run, over WebSocket for the second.
            List<Map.Entry<String, NodeProcess>> runs = List.copyOf(admitted.entrySet());
            List<Long> cancelMillis = new java.util.ArrayList<>();
            for (int i = 0; i < runs.size(); i++) {
                String run = runs.get(i).getKey();
                NodeProcess elsewhere = runs.get(i).getValue() == a ? b : a;
                awaitWaiting(elsewhere, token, run);
                long sent = System.nanoTime();
                if (i == 0) {
                    HttpResponse<String> cancelled = elsewhere.send(token, "POST", "/api/runs/" + run + "/cancel", null);
                    assertThat(cancelled.statusCode()).as("cancel on the other node: %s", cancelled.body()).isEqualTo(202);
                } else {
                    try (WsClient client = WsClient.connect(elsewhere.ws(), token)) {
                        assertThat(client.next().path("type").asText()).isEqualTo("connection_established");
                        client.send("{\"type\":\"cancel_run\",\"run_id\":\"" + run + "\",\"request_id\":\"c\"}");
                        await("the run cancelled").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                                .until(() -> elsewhere.json(token, "GET", "/api/runs/" + run, null).path("status").asText()
                                        .equals("cancelled"));
                        assertThat(client.drain()).as("frames after the cancel").noneMatch(frame ->
                                frame.path("type").asText().equals("error"));
                    }
                }
                await("the run cancelled").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(() -> elsewhere.json(token, "GET", "/api/runs/" + run, null).path("status").asText()
                                .equals("cancelled"));
                cancelMillis.add((System.nanoTime() - sent) / 1_000_000);
                List<JsonNode> events = elsewhere.events(token, run);
                assertThat(events.get(events.size() - 1).path("type").asText()).isEqualTo("run_cancelled");
            }
            System.out.println("cross-node-cancel [" + TestDatabase.kind() + "]: http_and_ws_ms=" + cancelMillis);
            assertThat(cancelMillis).as("ms from the cancel on one node to the run stored cancelled by the other")
                    .allMatch(millis -> millis < 1_000);

            // The slots freed count on both nodes: two new runs, one on each, then a third is refused.
            for (NodeProcess node : both) {
                String thread = node.json(token, "POST", "/api/threads", "{}").path("id").asText();
                assertThat(node.send(token, "POST", "/api/threads/" + thread + "/runs",
                        "{\"content\":\"wait 30 seconds\"}").statusCode()).as("a start after the cancels").isEqualTo(202);
            }
            String other = a.json(token, "POST", "/api/threads", "{}").path("id").asText();
            assertThat(a.send(token, "POST", "/api/threads/" + other + "/runs", "{\"content\":\"hi\"}").statusCode())
                    .as("a third active run").isEqualTo(429);
        }
    }

    @Test
    void secondProcessOnOneH2File_stopsAtStartWithOneLineAndExitCode2() throws Exception {
        assumeTrue(!TestDatabase.postgres(), "an H2 file has one node; PostgreSQL is shared, see the test above");
        Path dataDir = Files.createTempDirectory("overseer-it-h2-twice-");
        String databaseUrl = TestDatabase.newDatabaseUrl(dataDir);
        try (NodeProcess first = node("first", dataDir, databaseUrl, Map.of())) {
            first.awaitHealthy();
            try (NodeProcess second = node("second", dataDir, databaseUrl, Map.of())) {
                assertThat(second.process().waitFor(20, TimeUnit.SECONDS)).as("the second process stops").isTrue();
                assertThat(second.process().exitValue()).as("exit code; output:%n%s", second.output()).isEqualTo(2);
                List<String> lines = second.output().lines().toList();
                assertThat(lines.stream().filter(line -> line.startsWith("error: "))).singleElement()
                        .satisfies(line -> assertThat(line).contains("OVERSEER_DB_URL")
                                .contains("in use by another process"));
                assertThat(lines).noneMatch(line -> line.startsWith("\tat ") || line.startsWith("Exception"));
            }
            // The first goes on serving.
            assertThat(first.send(null, "GET", "/readyz", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void nodeIdAndLease_defaultToARandomIdAndFifteenSeconds_andBadValuesNameTheVariable() {
        OverseerConfig first = OverseerConfig.fromEnvironment(Map.of(), 0);
        OverseerConfig second = OverseerConfig.fromEnvironment(Map.of(), 0);
        assertThat(first.nodeId()).matches("node_[0-9a-f]{16}").isNotEqualTo(second.nodeId());
        assertThat(first.runLease()).isEqualTo(Duration.ofSeconds(15));
        assertThat(OverseerConfig.fromEnvironment(Map.of("OVERSEER_NODE_ID", "eu-west-1.pod-7",
                "OVERSEER_RUN_LEASE_SECONDS", "3"), 0)).satisfies(config -> {
                    assertThat(config.nodeId()).isEqualTo("eu-west-1.pod-7");
                    assertThat(config.runLease()).isEqualTo(Duration.ofSeconds(3));
                });
        for (String bad : List.of("-starts-with-a-dash", "has space", "x".repeat(65), "naïve")) {
            assertThatThrownBy(() -> OverseerConfig.fromEnvironment(Map.of("OVERSEER_NODE_ID", bad), 0))
                    .as("OVERSEER_NODE_ID=%s", bad)
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith("OVERSEER_NODE_ID must be");
        }
        for (String bad : List.of("2", "3601", "ten")) {
            assertThatThrownBy(() -> OverseerConfig.fromEnvironment(Map.of("OVERSEER_RUN_LEASE_SECONDS", bad), 0))
                    .as("OVERSEER_RUN_LEASE_SECONDS=%s", bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("OVERSEER_RUN_LEASE_SECONDS must be a whole number from 3 to 3600, got '" + bad + "'");
        }
    }

    /** Two nodes, a and b, on a new PostgreSQL database, both answering; closed (SIGTERM) together. */
    private record Nodes(Path dataDir, String databaseUrl, NodeProcess a, NodeProcess b) implements AutoCloseable {
        static Nodes start(String test, Map<String, String> env) throws java.io.IOException, InterruptedException {
            Path dataDir = Files.createTempDirectory("overseer-it-" + test + "-");
            String databaseUrl = TestDatabase.newDatabaseUrl(dataDir);
            NodeProcess a = node("a", dataDir, databaseUrl, env);
            NodeProcess b = node("b", dataDir, databaseUrl, env);
            Nodes nodes = new Nodes(dataDir, databaseUrl, a, b);
            try {
                a.awaitHealthy();
                b.awaitHealthy();
            } catch (RuntimeException | Error e) {
                nodes.close();
                throw e;
            }
            return nodes;
        }

        @Override
        public void close() throws InterruptedException {
            try (a; b) {
                // both are stopped, whatever happens to the first
            }
        }
    }

    private static NodeProcess node(String name, Path dataDir, String databaseUrl, Map<String, String> env) {
        Map<String, String> variables = new java.util.HashMap<>(env);
        variables.put("OVERSEER_NODE_ID", "node_" + name);
        return NodeProcess.start(name, dataDir, databaseUrl, variables);
    }

    private static void awaitWaiting(NodeProcess node, String token, String run) {
        await("run " + run + " waits in its tool").atMost(Duration.ofSeconds(20)).until(() ->
                node.events(token, run).stream().anyMatch(event -> event.path("type").asText().equals("tool_executing")));
    }
}
