package dev.overseer.ws;

import dagger.BindsInstance;
import dagger.Module;
import dagger.Subcomponent;
import dev.overseer.context.WebSocketContext;
import jakarta.websocket.Session;

/** The objects of one WebSocket connection, built in {@code onOpen} over the shared core bindings. */
@ConnectionScope
@Subcomponent
public interface ConnectionComponent {
    WebSocketContext context();

    ConnectionOutbox outbox();

    ClientFrameHandler frameHandler();

    /** Creates the component of a connection that just opened. */
    @Subcomponent.Factory
    interface Factory {
        ConnectionComponent create(@BindsInstance WebSocketContext context, @BindsInstance Session session);
    }

    /** Listed by the root component so that {@link Factory} can be injected. */
    @Module(subcomponents = ConnectionComponent.class)
    interface InstallationModule {
    }
}
