package dev.overseer.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.overseer.core.event.EventPayload;
import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/** The event types the server code defines, for the tests that hold the published documents to them. */
final class EventTypes {
    private EventTypes() {
    }

    /**
     * The type of every kind of event payload the server code defines: the records of the sealed
     * {@link EventPayload}, each asked for its type (a constant) on an instance with default components.
     */
    static Set<String> ofTheCode() {
        Set<String> types = new TreeSet<>();
        for (Class<?> kind : EventPayload.class.getPermittedSubclasses()) {
            assertThat(kind.isRecord()).as("%s is a record", kind).isTrue();
            Class<?>[] components = Arrays.stream(kind.getRecordComponents()).map(RecordComponent::getType)
                    .toArray(Class<?>[]::new);
            Object[] defaults = Arrays.stream(components).map(component -> Array.get(Array.newInstance(component, 1), 0))
                    .toArray();
            try {
                types.add(((EventPayload) kind.getDeclaredConstructor(components).newInstance(defaults)).type());
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("cannot build a " + kind.getSimpleName() + " to ask its type", e);
            }
        }
        assertThat(types).hasSize(EventPayload.class.getPermittedSubclasses().length).contains("run_completed");
        return types;
    }
}
