package dev.overseer.core;

import dagger.Binds;
import dagger.Module;
import dagger.Provides;
import dagger.multibindings.IntoMap;
import dagger.multibindings.StringKey;
import dev.overseer.core.llm.LlmSettings;
import dev.overseer.core.llm.OpenAiChatModel;
import dev.overseer.core.model.ChatModel;
import dev.overseer.core.model.ModelMetrics;
import dev.overseer.core.model.OfflineModel;
import dev.overseer.core.store.Database;
import dev.overseer.core.store.DatabaseSettings;
import dev.overseer.core.tool.CalculatorTool;
import dev.overseer.core.tool.ClockTool;
import dev.overseer.core.tool.Tool;
import dev.overseer.core.tool.WaitTool;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * The supervisor core's bindings, shared by both transports' subcomponents: the database, the model,
 * and the tools (a new tool is one class plus one {@code @IntoMap} binding here).
 */
@Module
public abstract class CoreModule {
    private CoreModule() {
    }

    @Provides
    @Singleton
    static Database database(DatabaseSettings settings, MeterRegistry meters) {
        return Database.open(settings, meters);
    }

    @Provides
    @Singleton
    static Jdbi jdbi(Database database) {
        return database.jdbi();
    }

    @Provides
    static Clock clock() {
        return Clock.systemUTC();
    }

    /** The configured OpenAI-compatible endpoint, or else the built-in offline model. */
    @Provides
    @Singleton
    static ChatModel chatModel(Optional<LlmSettings> llm, OfflineModel offline) {
        return llm.<ChatModel>map(OpenAiChatModel::new).orElse(offline);
    }

    /** The model calls' meters, those of the default model published from the start. */
    @Provides
    @Singleton
    static ModelMetrics modelMetrics(Optional<LlmSettings> llm, MeterRegistry meters) {
        return new ModelMetrics(meters, llm.map(LlmSettings::model).orElse(OfflineModel.NAME));
    }

    @Binds
    @IntoMap
    @StringKey(CalculatorTool.NAME)
    abstract Tool calculator(CalculatorTool tool);

    @Binds
    @IntoMap
    @StringKey(ClockTool.NAME)
    abstract Tool clockTool(ClockTool tool);

    @Binds
    @IntoMap
    @StringKey(WaitTool.NAME)
    abstract Tool waitTool(WaitTool tool);
}
