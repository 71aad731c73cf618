package dev.overseer.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether Overseer's jar is older than the sources it is built from, when it lies where the build puts it
 * ({@code ROOT/app/target/overseer.jar}): the report names the checked-out commit, so a jar left from an
 * earlier build would be measured under the wrong name.
 */
final class JarFreshness {
    private JarFreshness() {
    }

    /** A warning when a main source file of the repository around {@code jar} changed after the jar was built. */
    static Optional<String> staleness(Path jar) {
        Path absolute = jar.toAbsolutePath().normalize();
        if (!absolute.endsWith(Path.of("app", "target", "overseer.jar")) || absolute.getNameCount() < 4
                || !Files.isRegularFile(absolute)) {
            return Optional.empty();
        }
        Path root = absolute.getParent().getParent().getParent();
        if (!Files.isRegularFile(root.resolve("pom.xml"))) {
            return Optional.empty();
        }
        try {
            FileTime built = Files.getLastModifiedTime(absolute);
            List<Path> sources = new ArrayList<>();
            sources.add(root.resolve("app/src/main"));
            Path modules = root.resolve("modules");
            if (Files.isDirectory(modules)) {
                try (Stream<Path> each = Files.list(modules)) {
                    each.map(module -> module.resolve("src/main")).forEach(sources::add);
                }
            }
            Optional<Path> newer = Optional.empty();
            for (Path source : sources) {
                if (Files.isDirectory(source) && newer.isEmpty()) {
                    try (Stream<Path> files = Files.walk(source)) {
                        newer = files.filter(Files::isRegularFile)
                                .filter(file -> modifiedAfter(file, built))
                                .findFirst();
                    }
                }
            }
            return newer.map(file -> absolute + " is older than " + root.relativize(file)
                    + ": the numbers would be an earlier build's; rebuild it (see docs/benchmarks.md)");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean modifiedAfter(Path file, FileTime built) {
        try {
            return Files.getLastModifiedTime(file).compareTo(built) > 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
