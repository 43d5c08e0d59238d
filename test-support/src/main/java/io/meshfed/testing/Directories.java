package io.meshfed.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Temporary directories of embedded brokers, demos and benchmarks, removed when done. */
public final class Directories {

  private Directories() {}

  /** Deletes {@code dir} and everything in it; what cannot be deleted is left (harmless). */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // A file vanishing mid-walk (a server still stopping) leaves the rest for the OS.
    }
  }
}
