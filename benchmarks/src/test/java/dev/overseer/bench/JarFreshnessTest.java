package dev.overseer.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarFreshnessTest {
    private static final FileTime BUILT = FileTime.from(Instant.parse("2026-11-28T12:00:00Z"));

    @TempDir
    Path root;

    private Path repositoryWithJar() throws IOException {
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        Path source = root.resolve("modules/core/src/main/java/A.java");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "class A {}");
        Files.setLastModifiedTime(source, FileTime.from(Instant.parse("2026-11-28T11:00:00Z")));
        Path jar = root.resolve("app/target/overseer.jar");
        Files.createDirectories(jar.getParent());
        Files.writeString(jar, "jar");
        Files.setLastModifiedTime(jar, BUILT);
        return jar;
    }

    @Test
    void aJarBuiltAfterEverySourceChange_isFresh() throws IOException {
        assertThat(JarFreshness.staleness(repositoryWithJar())).isEmpty();
    }

    @Test
    void aSourceChangedAfterTheBuild_makesTheJarStale_namingTheFile() throws IOException {
        Path jar = repositoryWithJar();
        Path changed = root.resolve("app/src/main/java/Main.java");
        Files.createDirectories(changed.getParent());
        Files.writeString(changed, "class Main {}");
        Files.setLastModifiedTime(changed, FileTime.from(Instant.parse("2026-11-28T13:00:00Z")));

        assertThat(JarFreshness.staleness(jar)).hasValueSatisfying(warning -> assertThat(warning)
                .contains("is older than " + Path.of("app/src/main/java/Main.java")));
    }

    @Test
    void aJarOutsideARepositoryCheckout_isNotJudged() throws IOException {
        Path elsewhere = root.resolve("jars/overseer.jar");
        Files.createDirectories(elsewhere.getParent());
        Files.writeString(elsewhere, "jar");
        assertThat(JarFreshness.staleness(elsewhere)).isEmpty();
    }
}
