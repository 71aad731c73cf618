package dev.overseer.http;

import dagger.BindsInstance;
import dagger.Module;
import dagger.Subcomponent;
import dev.overseer.context.RequestContext;
import jakarta.inject.Provider;
import java.util.Map;

/** The objects of one authenticated HTTP request, built over the shared core bindings. */
@RequestScope
@Subcomponent(modules = ApiActionsModule.class)
public interface RequestComponent {
    RequestContext context();

    /** The actions, by route name; only the matched one is created. */
    Map<String, Provider<ApiAction>> actions();

    /** Creates the component of one request. */
    @Subcomponent.Factory
    interface Factory {
        RequestComponent create(@BindsInstance RequestContext context);
    }

    /** Listed by the root component so that {@link Factory} can be injected. */
    @Module(subcomponents = RequestComponent.class)
    interface InstallationModule {
    }
}
