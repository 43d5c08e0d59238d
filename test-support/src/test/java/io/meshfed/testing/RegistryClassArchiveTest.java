package io.meshfed.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared class archive's life, with files standing in for the JVM's archives (the JVM's
 * own use of them is measured in test-support's DESIGN): a directory without one writes it at
 * exit and publishes it; a new directory starts from it and publishes nothing; an archive the
 * JVM rewrote (a JDK or jar change) replaces the shared copy.
 */
class RegistryClassArchiveTest {

  @TempDir
  Path tmp;

  @Test
  void theFirstArchiveIsSharedAndSeedsTheNextDirectoryWhichPublishesNothing() throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    Path java = Files.createFile(tmp.resolve("java"));

    Path first = Files.createDirectories(tmp.resolve("first"));
    RegistryClassArchive one = RegistryClassArchive.seed(first, home, java);
    assertThat(one.writtenAtExit()).isTrue();
    Files.writeString(one.file(), "archive 1"); // what the JVM writes as it exits
    one.publish();
    Path shared;
    try (var files = Files.list(home)) {
      shared = files.filter(f -> f.toString().endsWith(".jsa")).findFirst().orElseThrow();
    }
    assertThat(shared).hasContent("archive 1");

    Path second = Files.createDirectories(tmp.resolve("second"));
    RegistryClassArchive two = RegistryClassArchive.seed(second, home, java);
    assertThat(two.writtenAtExit()).as("seeded: nothing to write").isFalse();
    assertThat(two.file()).hasContent("archive 1");
    Object before = fileKey(shared); // a publish renames a new file over it
    two.publish();
    assertThat(fileKey(shared)).isEqualTo(before);

    // The JVM found the archive unusable and wrote a new one (it removes the old file first,
    // which also leaves a hard-linked shared copy alone): that one becomes the shared copy.
    Files.delete(two.file());
    Files.writeString(two.file(), "archive 2");
    Files.setLastModifiedTime(two.file(), FileTime.fromMillis(System.currentTimeMillis()
        + 10_000));
    two.publish();
    assertThat(shared).hasContent("archive 2");
    try (var files = Files.list(home)) {
      assertThat(files.filter(f -> f.toString().endsWith(".tmp"))).as("no partial copy left")
          .isEmpty();
    }

    // A resumed directory keeps its own archive and does not re-publish it.
    RegistryClassArchive resumed = RegistryClassArchive.seed(first, home, java);
    assertThat(resumed.writtenAtExit()).isFalse();
    assertThat(resumed.file()).hasContent("archive 1");
    before = fileKey(shared);
    resumed.publish();
    assertThat(fileKey(shared)).isEqualTo(before);
    assertThat(shared).hasContent("archive 2");
  }

  private static Object fileKey(Path file) throws java.io.IOException {
    return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class)
        .fileKey();
  }
}
