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
}
