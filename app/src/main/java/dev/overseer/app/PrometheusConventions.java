package dev.overseer.app;

import com.sun.management.OperatingSystemMXBean;
import dev.overseer.core.metrics.Buckets;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;

/**
 * Brings the libraries' meters in line with Prometheus' conventions, as {@code promtool check metrics} reads them
 * (ADR 0029): HikariCP's and the JVM's timers get histogram buckets like ours, {@code system.cpu.count} (a gauge
 * whose name ends in {@code _count}, which Prometheus reserves for histograms) becomes
 * {@code system_cpu_processors}, and the process CPU time in nanoseconds ({@code process_cpu_time_ns_total}, an
 * abbreviated unit) is published in seconds as {@code process_cpu_seconds_total}, the name Prometheus' own clients use.
 */
final class PrometheusConventions implements MeterFilter {
    private static final double[] FAST_NANOS = Arrays.stream(Buckets.fast()).mapToDouble(Duration::toNanos).toArray();

    private PrometheusConventions() {
    }

    /** Installs the conventions on {@code registry}, before any meter is registered on it. */
    static void apply(MeterRegistry registry) {
        registry.config().meterFilter(new PrometheusConventions());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os
                && os.getProcessCpuTime() >= 0) {
            FunctionCounter.builder("process.cpu", os, bean -> bean.getProcessCpuTime() / 1e9)
                    .description("CPU time used by the Java virtual machine process")
                    .baseUnit("seconds")
                    .register(registry);
        }
    }

    @Override
    public MeterFilterReply accept(Meter.Id id) {
        return id.getName().equals("process.cpu.time") ? MeterFilterReply.DENY : MeterFilterReply.NEUTRAL;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.processors") : id;
    }

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        boolean libraryTimer = id.getType() == Meter.Type.TIMER
                && (id.getName().startsWith("hikaricp.") || id.getName().startsWith("jvm."));
        if (!libraryTimer || config.isPublishingHistogram()) {
            return config;
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(FAST_NANOS).build().merge(config);
    }
}
