package dev.overseer.bench;

import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jmh}: runs the JMH benchmarks packaged in this jar with JMH's Runner. */
@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = "Runs the JMH benchmarks in this jar (supervisor creation, event encoding, frame decoding).")
final class JmhCommand implements Callable<Integer> {
    @Option(names = "--include", defaultValue = "dev\\.overseer\\..*Benchmark.*",
            description = "Regular expression of the benchmarks to run (default: ${DEFAULT-VALUE}).")
    String include;

    @Option(names = "--forks", defaultValue = "1", description = "JVM forks per benchmark (default: ${DEFAULT-VALUE}).")
    int forks;

    @Option(names = "--warmup-iterations", defaultValue = "3", description = "Default: ${DEFAULT-VALUE}.")
    int warmupIterations;

    @Option(names = "--iterations", defaultValue = "5", description = "Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--time", defaultValue = "1", description = "Seconds per iteration (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--prof", description = "A JMH profiler with its options, e.g. gc or jfr:dir=/tmp/jfr.")
    String profiler;

    @Option(names = "--json", description = "Write JMH's JSON results to this file.")
    Path json;

    @Override
    public Integer call() throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(include)
                .forks(forks)
                .warmupIterations(warmupIterations)
                .warmupTime(TimeValue.seconds(seconds))
                .measurementIterations(iterations)
                .measurementTime(TimeValue.seconds(seconds))
                .timeUnit(TimeUnit.NANOSECONDS)
                .shouldFailOnError(true);
        if (profiler != null) {
            int colon = profiler.indexOf(':');
            if (colon < 0) {
                options.addProfiler(profiler);
            } else {
                options.addProfiler(profiler.substring(0, colon), profiler.substring(colon + 1));
            }
        }
        if (json != null) {
            options.resultFormat(ResultFormatType.JSON).result(json.toString());
        }
        Collection<RunResult> results = new Runner(options.build()).run();
        System.out.println();
        System.out.println("jmh: " + Machine.describe().line());
        Report.Table table = new Report.Table("benchmark", "mode", "score", "error (99.9%)", "unit");
        for (RunResult result : results) {
            var primary = result.getPrimaryResult();
            String name = result.getParams().getBenchmark().replaceFirst("^dev\\.overseer\\.", "");
            table.row(name, result.getParams().getMode().shortLabel(), primary.getScore(), primary.getScoreError(),
                    primary.getScoreUnit());
        }
        table.print(System.out);
        return 0;
    }
}
