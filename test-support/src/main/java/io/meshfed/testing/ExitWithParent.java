package io.meshfed.testing;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A Java agent ({@code -javaagent}) that makes a child JVM exit when its parent is gone: it
 * reads the child's standard input, a pipe from the parent, and when that pipe closes — the
 * parent closed it, exited, or was killed, even with {@code kill -9}, since the kernel closes a
 * dead process's pipes — the child exits. The parent needs no shutdown hook for this, and no
 * shell stands between them (a guard shell dies on the Ctrl-C meant for the parent and orphans
 * its child).
 *
 * <p>Only {@code java.base} is used: the agent runs inside another application's JVM.
 */
public final class ExitWithParent {

  /** Longer than a graceful stop of the registry takes; after it, the JVM halts. */
  static final Duration GRACE = Duration.ofSeconds(15);

  private ExitWithParent() {}

  public static void premain(String args) {
    Thread watch = new Thread(() -> {
      awaitEndOfInput(System.in);
      // System.exit runs the application's shutdown hooks (Quarkus stops cleanly, its database
      // is closed); a hook that hangs must not keep the orphan alive, hence the halt.
      Thread halt = new Thread(() -> {
        long deadline = System.nanoTime() + GRACE.toNanos();
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
          LockSupport.parkNanos(left);
        }
        Runtime.getRuntime().halt(1);
      }, "exit-with-parent-halt");
      halt.setDaemon(true);
      halt.start();
      System.exit(0);
    }, "exit-with-parent");
    watch.setDaemon(true);
    watch.start();
  }

  private static void awaitEndOfInput(InputStream in) {
    byte[] discard = new byte[256];
    try {
      while (in.read(discard) >= 0) {
        // Anything the parent writes is ignored; only the end of the stream counts.
      }
    } catch (IOException closed) {
      // A broken pipe is the parent gone, too.
    }
  }

  /**
   * Writes the agent's jar into {@code dir} and returns it, for {@code -javaagent:} on a child
   * JVM's command line (the child's standard input must stay a pipe from this process).
   */
  public static java.nio.file.Path agentJar(java.nio.file.Path dir) throws IOException {
    String entry = ExitWithParent.class.getName().replace('.', '/') + ".class";
    java.util.jar.Manifest manifest = new java.util.jar.Manifest();
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Premain-Class", ExitWithParent.class.getName());
    java.nio.file.Path jar = dir.resolve("exit-with-parent.jar");
    byte[] agent;
    try (var in = ExitWithParent.class.getResourceAsStream("/" + entry)) {
      agent = in.readAllBytes();
    }
    // An existing jar with this class is kept as it is: a JVM's class-data-sharing archive
    // records each class path entry's size and time, and the agent jar is one of them.
    if (java.nio.file.Files.isRegularFile(jar)) {
      try (var existing = new java.util.jar.JarFile(jar.toFile())) {
        var found = existing.getJarEntry(entry);
        if (found != null && java.util.Arrays.equals(agent,
            existing.getInputStream(found).readAllBytes())) {
          return jar;
        }
      } catch (IOException unreadable) {
        // written again below
      }
    }
    java.nio.file.Path tmp = java.nio.file.Files.createTempFile(dir, "exit-with-parent", ".tmp");
    try (var out = new java.util.jar.JarOutputStream(java.nio.file.Files.newOutputStream(tmp),
        manifest)) {
      out.putNextEntry(new java.util.jar.JarEntry(entry));
      out.write(agent);
      out.closeEntry();
    }
    return java.nio.file.Files.move(tmp, jar,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
