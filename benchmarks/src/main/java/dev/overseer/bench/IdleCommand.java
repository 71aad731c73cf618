package dev.overseer.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.overseer.core.json.Json;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code idle}: what holding many idle authenticated connections costs Overseer's heap and memory. */
@Command(name = "idle", mixinStandardHelpOptions = true,
        description = "Opens and holds idle authenticated WebSocket connections to Overseer and reports the "
                + "server's live heap (after a full GC) and RSS before and after, per connection.")
final class IdleCommand implements Callable<Integer> {
    @Option(names = "--connections", defaultValue = "10000", description = "Connections to hold (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--users", defaultValue = "0",
            description = "Distinct users the connections belong to (default: one per connection).")
    int users;

    @Option(names = "--hold", defaultValue = "5", description = "Seconds to hold them before measuring (default: ${DEFAULT-VALUE}).")
    int holdSeconds;

    @Option(names = "--concurrent-handshakes", defaultValue = "256",
            description = "Upgrades in flight at once while connecting (default: ${DEFAULT-VALUE}).")
    int concurrentHandshakes;

    @Mixin
    BenchMain.ServerOptions servers;

    @Override
    public Integer call() throws Exception {
        Machine machine = Machine.describe();
        IdleLoad.Result result;
        try (Servers.Overseer server = Servers.overseer(servers.launch())) {
            result = IdleLoad.run(new IdleLoad.Settings(server.process().address(), connections,
                    users <= 0 ? connections : users, Math.max(1, servers.clientThreads), concurrentHandshakes,
                    Duration.ofSeconds(holdSeconds), server.tokens()), server.process().pid());
            server.process().stop(Duration.ofSeconds(30));
        }
        System.out.println();
        System.out.println("idle: " + connections + " connections held " + holdSeconds + " s; " + machine.line());
        new Report.Table("measure", "before", "after", "growth", "per connection")
                .row("live heap (bytes, after GC.run)", result.heapBefore(), result.heapAfter(),
                        result.heapAfter() - result.heapBefore(), result.heapPerConnection())
                .row("RSS (bytes)", result.rssBefore(), result.rssAfter(), result.rssAfter() - result.rssBefore(),
                        result.rssPerConnection())
                .print(System.out);
        System.out.printf("opened %d of %d in %.1f s, %d failed, %d dropped while held%n", result.opened(),
                result.requested(), result.connectSeconds(), result.failed(), result.disconnectsWhileHeld());
        if (servers.json != null) {
            ObjectNode json = Json.object().put("benchmark", "idle");
            machine.writeTo(json);
            json.put("connections", result.requested());
            json.put("opened", result.opened());
            json.put("failed", result.failed());
            json.put("dropped_while_held", result.disconnectsWhileHeld());
            json.put("connect_seconds", Report.round(result.connectSeconds()));
            json.put("users", users <= 0 ? connections : users);
            json.put("heap_before_bytes", result.heapBefore());
            json.put("heap_after_bytes", result.heapAfter());
            json.put("heap_per_connection_bytes", Math.round(result.heapPerConnection()));
            json.put("rss_before_bytes", result.rssBefore());
            json.put("rss_after_bytes", result.rssAfter());
            json.put("rss_per_connection_bytes", Math.round(result.rssPerConnection()));
            Report.writeJson(servers.json, json);
            System.out.println("wrote " + servers.json);
        }
        return result.failed() == 0 ? 0 : 1;
    }
}
