package dev.overseer.app;

import dagger.BindsInstance;
import dagger.Component;
import dev.overseer.core.CoreModule;
import dev.overseer.core.auth.TokenIssuer;
import dev.overseer.core.store.Database;
import dev.overseer.core.supervisor.AgentCatalog;
import dev.overseer.core.supervisor.SupervisorFactory;
import dev.overseer.http.RequestComponent;
import dev.overseer.ws.ConnectionComponent;
import io.opentelemetry.api.OpenTelemetry;
import jakarta.inject.Singleton;

/**
 * The root of the graph: the shared core, with the WebSocket transport's per-connection and the HTTP
 * transport's per-request subcomponents installed over it.
 */
@Singleton
@Component(modules = {
        CoreModule.class,
        AppModule.class,
        ConnectionComponent.InstallationModule.class,
        RequestComponent.InstallationModule.class})
public interface OverseerComponent {
    OverseerServer server();

    TokenIssuer tokens();

    Database database();

    /** The one place supervisors are made (the benchmarks time it directly). */
    SupervisorFactory supervisors();

    /** The agents runs may name. */
    AgentCatalog agents();

    /** Makes the per-connection subcomponent of the WebSocket transport. */
    ConnectionComponent.Factory connections();

    /** Makes the per-request subcomponent of the HTTP transport. */
    RequestComponent.Factory requests();

    /** Creates the graph for one configuration. */
    @Component.Factory
    interface Factory {
        OverseerComponent create(@BindsInstance OverseerConfig config, @BindsInstance OpenTelemetry telemetry);
    }

    /** The graph with tracing off. */
    static OverseerComponent create(OverseerConfig config) {
        return create(config, OpenTelemetry.noop());
    }

    /** The graph whose spans go to {@code telemetry} (ADR 0030). */
    static OverseerComponent create(OverseerConfig config, OpenTelemetry telemetry) {
        return DaggerOverseerComponent.factory().create(config, telemetry);
    }
}
