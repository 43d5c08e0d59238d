package io.meshfed.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry JVM's class-data-sharing archive for one data directory, seeded from and
 * published to one copy per registry distribution and JDK.
 *
 * <p>Why: with {@code -XX:+AutoCreateSharedArchive} a JVM that finds no usable archive writes
 * one when it exits. For the registry that is a 78 MB dump of some 20,000 classes, which took
 * longer than the registry's whole start on a loaded 2-core machine, and every new data
 * directory (each {@code meshfed demo}, each new stack in a test) paid it at its close, for an
 * archive only a restart on that directory would use. The archive depends on the JDK and the
 * registry's jars only, not on the data, so a new directory starts from the shared copy: its
 * registry maps the classes at once and has nothing to write when it exits.
 *
 * <p>Concurrency: seeding is a hard link (a copy across file systems); the JVM never writes
 * into an existing archive file (it removes the file and writes a new one), so a link never
 * changes the shared copy. Publishing writes a temporary file and renames it over the shared
 * copy, so a reader sees the old archive or the new one, never half of one. Failures here only
 * cost the optimization: they are logged and the registry runs as before.
 */
final class RegistryClassArchive {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryClassArchive.class);

  private final Path archive;
  private final Path shared;
  /** The archive's modification time when the registry started; -1: there was none. */
  private final long atLaunch;

  private RegistryClassArchive(Path archive, Path shared, long atLaunch) {
    this.archive = archive;
    this.shared = shared;
    this.atLaunch = atLaunch;
  }

  /**
   * The archive {@code dataDir/registry-classes.jsa}, seeded from the shared copy in
   * {@code home} for the JDK {@code java} when the directory has none yet.
   */
  static RegistryClassArchive seed(Path dataDir, Path home, Path java) {
    Path archive = dataDir.toAbsolutePath().resolve("registry-classes.jsa");
    Path shared = shared(home, java);
    if (!Files.exists(archive) && Files.isRegularFile(shared)) {
      try {
        try {
          Files.createLink(archive, shared);
        } catch (IOException | UnsupportedOperationException otherFileSystem) {
          Files.copy(shared, archive, StandardCopyOption.COPY_ATTRIBUTES);
        }
      } catch (IOException e) {
        LOG.warn("could not seed the registry's class archive from {}: {}", shared, e.toString());
      }
    }
    long atLaunch = -1;
    try {
      atLaunch = Files.getLastModifiedTime(archive).toMillis();
    } catch (IOException none) {
      // the registry writes one when it exits
    }
    return new RegistryClassArchive(archive, shared, atLaunch);
  }

  /**
   * Whether the registry will write the archive when it exits: there was none to seed from,
   * so this is the one dump that later directories are spared, worth waiting for.
   */
  boolean writtenAtExit() {
    return atLaunch == -1;
  }

  /** The archive file the registry JVM is given. */
  Path file() {
    return archive;
  }

  /**
   * After the registry exited on its own: an archive it wrote (there was none, or the one
   * there did not fit this JDK or jar and was rewritten) becomes the shared copy.
   */
  void publish() {
    try {
      if (!Files.isRegularFile(archive)
          || Files.getLastModifiedTime(archive).toMillis() == atLaunch) {
        return;
      }
      Path partial = shared.resolveSibling(shared.getFileName() + "." + ProcessHandle.current()
          .pid() + "." + System.nanoTime() + ".tmp");
      try {
        Files.copy(archive, partial);
        Files.move(partial, shared, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(partial);
      }
    } catch (IOException e) {
      LOG.warn("could not share the registry's class archive as {}: {}", shared, e.toString());
    }
  }

  /**
   * The shared copy for the JDK {@code java}, which a registry without a data directory (a
   * test's, in memory) maps read-only when it exists: it never writes one, and it has no
   * directory of its own to keep one in.
   */
  static Path shared(Path home, Path java) {
    return home.resolve("registry-classes-" + jdkTag(java) + ".jsa");
  }

  /** One shared archive per JDK: its real path, hashed (the JVM checks the version itself). */
  private static String jdkTag(Path java) {
    Path real;
    try {
      real = java.toRealPath();
    } catch (IOException e) {
      real = java.toAbsolutePath();
    }
    return Integer.toHexString(real.toString().hashCode());
  }
}
