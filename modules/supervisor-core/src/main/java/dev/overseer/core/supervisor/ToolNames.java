package dev.overseer.core.supervisor;

/** How an agent's tool entries name tools: a tool's name, or a prefix and {@code *} (e.g. {@code everything__*}). */
final class ToolNames {
    private ToolNames() {
    }

    static boolean isPattern(String entry) {
        return entry.endsWith("*");
    }

    /** Whether {@code entry} names the tool {@code name}. */
    static boolean matches(String entry, String name) {
        return isPattern(entry) ? name.startsWith(entry.substring(0, entry.length() - 1)) : entry.equals(name);
    }
}
