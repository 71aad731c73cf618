package dev.overseer.bench;

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

    @Override
    public Integer call() throws Exception {
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
}
