package dev.overseer.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LauncherTest {
    @ParameterizedTest
    @ValueSource(strings = {"21", "25", "26-ea"})
    void refusal_ofJava21OrNewer_isNone(String version) {
        assertThat(Launcher.refusal(version, "/opt/jdk")).isNull();
    }

    @Test
    void refusal_ofJava17_namesBothVersionsAndTheJavaHome() {
        assertThat(Launcher.refusal("17", "/usr/lib/jvm/java-17-openjdk-amd64"))
                .startsWith("error: Overseer needs Java 21 or newer; this is Java 17 (/usr/lib/jvm/java-17-openjdk-amd64).")
                .doesNotContain("\n");
    }

    @Test
    void refusal_ofJava8_readsTheOldOneDotVersion() {
        assertThat(Launcher.refusal("1.8", "/usr/lib/jvm/java-8/jre")).contains("this is Java 8 (");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "unknown", "99999999999"})
    void refusal_ofAnUnreadableVersion_isNone_leavingTheJvmTheLastWord(String version) {
        assertThat(Launcher.refusal(version, "/opt/jdk")).isNull();
    }

    @Test
    void requiredFeature_isTheReleaseTheRestIsCompiledFor_andItsExitCodeIsTheConfigurationOne() throws IOException {
        try (InputStream in = Main.class.getResourceAsStream("Main.class");
                DataInputStream classFile = new DataInputStream(in)) {
            classFile.readInt(); // magic
            classFile.readUnsignedShort(); // minor
            int major = classFile.readUnsignedShort();
            assertThat(Launcher.REQUIRED_FEATURE).isEqualTo(major - 44);
        }
        assertThat(Launcher.EXIT_OLD_JAVA).isEqualTo(StartupFailure.CONFIGURATION);
    }
}
