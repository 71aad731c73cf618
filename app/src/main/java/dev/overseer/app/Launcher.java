package dev.overseer.app;

/**
 * The fat jar's entry point, compiled for Java 8 so that any JVM can load it: on one older than Overseer needs it
 * prints one line naming the version and exits 2, where {@link Main} would die of an UnsupportedClassVersionError
 * (ADR 0028).
 */
public final class Launcher {
    /** The Java feature release the rest of Overseer is compiled for ({@code maven.compiler.release}). */
    static final int REQUIRED_FEATURE = 21;
    /** A JVM that cannot run Overseer is a setting of the environment: {@code StartupFailure.CONFIGURATION}. */
    static final int EXIT_OLD_JAVA = 2;

    private Launcher() {
    }

    public static void main(String[] args) {
        String refusal = refusal(System.getProperty("java.specification.version"), System.getProperty("java.home"));
        if (refusal != null) {
            System.err.println(refusal);
            System.exit(EXIT_OLD_JAVA);
        }
        Main.main(args);
    }

    /**
     * The line that refuses a JVM of this {@code java.specification.version} ("1.8", "17", "21"), or null when it is
     * new enough or the version cannot be read (then the JVM itself has the last word).
     */
    static String refusal(String specificationVersion, String javaHome) {
        int feature = feature(specificationVersion);
        if (feature < 0 || feature >= REQUIRED_FEATURE) {
            return null;
        }
        return "error: Overseer needs Java " + REQUIRED_FEATURE + " or newer; this is Java " + feature + " (" + javaHome
                + "). Run it with a newer java: put its bin directory first on PATH, or call it by its full path"
                + " (scripts/run finds one itself).";
    }

    private static int feature(String specificationVersion) {
        if (specificationVersion == null) {
            return -1;
        }
        String version = specificationVersion.startsWith("1.") ? specificationVersion.substring(2) : specificationVersion;
        int end = 0;
        while (end < version.length() && Character.isDigit(version.charAt(end))) {
            end++;
        }
        if (end == 0 || end > 4) {
            return -1;
        }
        return Integer.parseInt(version.substring(0, end));
    }
}
