package dev.overseer.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code load}: WebSocket throughput and run latency of Overseer against the bare echo server. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Drives the echo server, then Overseer, with the same WebSocket client and reports "
                + "frames/s, runs/s, run latency and their ratio.")
final class LoadCommand implements Callable<Integer> {
    @Mixin
    BenchMain.LoadOptions load;

    @Mixin
    BenchMain.ServerOptions servers;

    @Option(names = "--only", description = "Run only one side: echo or overseer.")
    String only;

    @Option(names = "--rounds", defaultValue = "1", description = "Rounds of echo then Overseer; each side reports "
            + "its median round (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--nodes", defaultValue = "1", description = "Overseer nodes on one PostgreSQL (needs --postgres): "
            + "pairs of connections of one user, the runner on one node and the follower (subscribed to the runner's "
            + "thread) on the next; reports runs/s, run latency and the cross-node delivery delay (default: "
            + "${DEFAULT-VALUE}).")
    int nodes;

    @Override
    public Integer call() throws Exception {
        if (nodes > 1) {
            return nodes();
        }
        boolean echo = only == null || only.equals("echo");
        boolean overseer = only == null || only.equals("overseer");
        if (!echo && !overseer) {
            throw new IllegalArgumentException("--only takes echo or overseer");
        }
        LoadBenchmark.Outcome outcome = LoadBenchmark.run(new LoadBenchmark.Config(load.connections, load.warmUp(),
                load.duration(), servers.clientThreads, servers.launch(), echo, overseer, rounds));
        outcome.print(System.out);
        if (servers.json != null) {
            Report.writeJson(servers.json, outcome.toJson());
            System.out.println("wrote " + servers.json);
        }
        return 0;
    }

    private int nodes() throws Exception {
        if (only != null || rounds != 1) {
            throw new IllegalArgumentException("--nodes runs one round of Overseer alone: leave out --only and --rounds");
        }
        Servers.Launch launch = servers.launch();
        Machine machine = Machine.describe();
        List<Servers.Overseer> started = Servers.overseers(launch, nodes);
        try {
            int pairs = Math.max(1, load.connections / 2);
            Tokens tokens = started.get(0).tokens();
            List<Map<String, String>> headers = new ArrayList<>();
            for (int i = 0; i < pairs; i++) {
                headers.add(Map.of("Authorization", "Bearer " + tokens.mint("bench-nodes-" + i),
                        "Sec-WebSocket-Protocol", "overseer.v1"));
            }
            NodesLoad.Settings settings = new NodesLoad.Settings(
                    started.stream().map(node -> node.process().address()).toList(), pairs, load.warmUp(),
                    load.duration(), servers.clientThreads, headers);
            NodesLoad.Result result = NodesLoad.run(settings, started.get(0).process().pid());
            NodesLoad.print(result, machine, settings, System.out);
            if (servers.json != null) {
                Report.writeJson(servers.json, NodesLoad.toJson(result, machine, settings));
                System.out.println("wrote " + servers.json);
            }
            return 0;
        } finally {
            started.forEach(Servers.Overseer::close);
        }
    }
}
