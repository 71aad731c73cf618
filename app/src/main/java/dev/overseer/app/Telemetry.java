package dev.overseer.app;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Map;

/**
 * OpenTelemetry as its standard {@code OTEL_*} variables configure it (ADR 0030): with an OTLP endpoint set, the SDK
 * exports traces over OTLP/HTTP; without one, the API's no-op, which records nothing and costs nothing.
 */
final class Telemetry {
    private static final AttributeKey<String> SERVICE_INSTANCE = AttributeKey.stringKey("service.instance.id");

    private Telemetry() {
    }

    /** The SDK when {@code env} names an OTLP endpoint (and does not disable the SDK), else the no-op API. */
    static OpenTelemetry fromEnvironment(Map<String, String> env, String nodeId) {
        if (!exporting(env)) {
            return OpenTelemetry.noop();
        }
        try {
            return AutoConfiguredOpenTelemetrySdk.builder()
                    // Defaults; the OTEL_* variables override each. Traces only: metrics are Prometheus's, logs Logback's.
                    .addPropertiesSupplier(() -> Map.of(
                            "otel.service.name", "overseer",
                            "otel.exporter.otlp.protocol", "http/protobuf",
                            "otel.metrics.exporter", "none",
                            "otel.logs.exporter", "none"))
                    .addResourceCustomizer((resource, config) ->
                            resource.merge(Resource.create(Attributes.of(SERVICE_INSTANCE, nodeId))))
                    // The server flushes the spans itself once it has stopped (see close).
                    .disableShutdownHook()
                    .build()
                    .getOpenTelemetrySdk();
        } catch (ConfigurationException e) {
            throw new ConfigException("OTEL_*: " + e.getMessage());
        }
    }

    /** Whether traces are exported: an OTLP endpoint is set and {@code OTEL_SDK_DISABLED} is not {@code true}. */
    static boolean exporting(Map<String, String> env) {
        boolean endpoint = isSet(env.get("OTEL_EXPORTER_OTLP_ENDPOINT")) || isSet(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        return endpoint && !"true".equalsIgnoreCase(String.valueOf(env.get("OTEL_SDK_DISABLED")).strip());
    }

    /** Exports what is left and stops the SDK; nothing for the no-op. */
    static void close(OpenTelemetry telemetry) {
        if (telemetry instanceof OpenTelemetrySdk sdk) {
            sdk.close();
        }
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }
}
