package io.meshfed.testing;

/**
 * One {@link EmbeddedSchemaRegistry} (in-memory storage) for the whole test JVM, started on
 * first use and stopped when the JVM exits (by the shutdown hook every registry registers).
 *
 * <p>Why: a registry is a child JVM that takes seconds of CPU to start; with one per test
 * class, starting registries was a large share of the suite's time (a module's test classes
 * run in one surefire JVM). Sharing keeps the tests apart: every schema meshfed registers is
 * the same in every test (the subject is the record's full name), so one test's registrations
 * are the ids another would get; tests that need a registry of their own (one they stop,
 * restart or fill with incompatible versions) still start one with
 * {@link EmbeddedSchemaRegistry#start()}.
 *
 * <p>Callers must not close it.
 */
public final class SharedSchemaRegistry {

  /**
   * The request timeout a test's registry client uses. Production's default is 10 s; a test's
   * registry (C1 only, 384 MB) shares 2 cores with a broker, Streams threads and surefire, and
   * a registration under a subject has been seen to take longer than that on CI (a topology
   * test failed on it, 2026-12-02). Most such waits were requests the registry dropped (found
   * in session 17: Netty's "Failed to release a ByteBuf" in its log, then no answer, a 60 s
   * timeout and a good record dead-lettered); the client now asks once more after a timeout,
   * so this need not be as long as the 60 s it was. A test waits for the registry; it does not
   * time it.
   */
  public static final java.time.Duration CLIENT_TIMEOUT = java.time.Duration.ofSeconds(20);

  private static EmbeddedSchemaRegistry registry;
  private static boolean ready;

  private SharedSchemaRegistry() {}

  /**
   * Launches the shared registry if it is not running yet, without waiting for it; call
   * {@link #get()} to wait. Lets a caller start other things (a broker) meanwhile.
   */
  public static synchronized void launch() {
    if (registry == null || !registry.isAlive()) {
      registry = EmbeddedSchemaRegistry.launch(null);
      ready = false;
    }
  }

  /** The shared registry, ready to answer (started now if it is not running). */
  public static synchronized EmbeddedSchemaRegistry get() {
    launch();
    if (!ready) {
      registry.awaitReady();
      ready = true;
    }
    return registry;
  }
}
