package dev.overseer.http;

import dagger.Binds;
import dagger.Module;
import dagger.multibindings.IntoMap;
import dagger.multibindings.StringKey;
import dev.overseer.http.action.ApproveToolAction;
import dev.overseer.http.action.CancelRunAction;
import dev.overseer.http.action.CreateThreadAction;
import dev.overseer.http.action.DeleteThreadAction;
import dev.overseer.http.action.GetRunAction;
import dev.overseer.http.action.GetThreadAction;
import dev.overseer.http.action.ListMessagesAction;
import dev.overseer.http.action.ListRunEventsAction;
import dev.overseer.http.action.ListThreadsAction;
import dev.overseer.http.action.StartRunAction;
import dev.overseer.http.action.UpdateThreadAction;
import java.util.List;

/** Every API action, by name, and the routes that reach them. */
@Module
public interface ApiActionsModule {
    /** The API's routes; the router answers 404 and 405 (with {@code Allow}) from this table. */
    List<ApiRoute> ROUTES = List.of(
            new ApiRoute("POST", "/api/threads", CreateThreadAction.NAME),
            new ApiRoute("GET", "/api/threads", ListThreadsAction.NAME),
            new ApiRoute("GET", "/api/threads/{id}", GetThreadAction.NAME),
            new ApiRoute("PATCH", "/api/threads/{id}", UpdateThreadAction.NAME),
            new ApiRoute("DELETE", "/api/threads/{id}", DeleteThreadAction.NAME),
            new ApiRoute("GET", "/api/threads/{id}/messages", ListMessagesAction.NAME),
            new ApiRoute("POST", "/api/threads/{id}/runs", StartRunAction.NAME),
            new ApiRoute("GET", "/api/runs/{id}", GetRunAction.NAME),
            new ApiRoute("POST", "/api/runs/{id}/cancel", CancelRunAction.NAME),
            new ApiRoute("POST", "/api/runs/{id}/approvals", ApproveToolAction.NAME),
            new ApiRoute("GET", "/api/runs/{id}/events", ListRunEventsAction.NAME));

    @Binds
    @IntoMap
    @StringKey(CreateThreadAction.NAME)
    ApiAction createThread(CreateThreadAction action);

    @Binds
    @IntoMap
    @StringKey(ListThreadsAction.NAME)
    ApiAction listThreads(ListThreadsAction action);

    @Binds
    @IntoMap
    @StringKey(GetThreadAction.NAME)
    ApiAction getThread(GetThreadAction action);

    @Binds
    @IntoMap
    @StringKey(UpdateThreadAction.NAME)
    ApiAction updateThread(UpdateThreadAction action);

    @Binds
    @IntoMap
    @StringKey(DeleteThreadAction.NAME)
    ApiAction deleteThread(DeleteThreadAction action);

    @Binds
    @IntoMap
    @StringKey(ListMessagesAction.NAME)
    ApiAction listMessages(ListMessagesAction action);

    @Binds
    @IntoMap
    @StringKey(StartRunAction.NAME)
    ApiAction startRun(StartRunAction action);

    @Binds
    @IntoMap
    @StringKey(GetRunAction.NAME)
    ApiAction getRun(GetRunAction action);

    @Binds
    @IntoMap
    @StringKey(CancelRunAction.NAME)
    ApiAction cancelRun(CancelRunAction action);

    @Binds
    @IntoMap
    @StringKey(ApproveToolAction.NAME)
    ApiAction approveTool(ApproveToolAction action);

    @Binds
    @IntoMap
    @StringKey(ListRunEventsAction.NAME)
    ApiAction listRunEvents(ListRunEventsAction action);
}
