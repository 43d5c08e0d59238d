package io.meshfed.connectors.testing;

import io.meshfed.testing.SharedSchemaRegistry;
import io.meshfed.testing.TcpProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/**
 * The way from a task to the real schema registry (the test JVM's shared Apicurio), through a
 * {@link TcpProxy} a test can break the way a registry outage looks to a worker, and mend.
 * The registry itself is never faked: every answer a task gets on this path, until a fault and
 * after {@link #restore()}, is the real registry's.
 */
public final class RegistryPath implements AutoCloseable {

  /** How the registry is out of reach. */
  public enum Fault {
    /** Its process is gone: every connection is reset at once. */
    DOWN,
    /** A partition: connections open, nothing ever answers; the client's timeout ends it. */
    UNANSWERED,
    /**
     * A proxy in front of it (an Envoy, say) answering every request with its own HTTP 503
     * HTML page.
     */
    BROKEN_PROXY
  }

  /** The body Envoy answers with when its upstream is unreachable. */
  public static final String ENVOY_503 =
      "<html><body>upstream connect error or disconnect/reset before headers</body></html>";

  private final int registryPort;
  private final String apiPath;
  private final TcpProxy proxy;
  /**
   * Stands for a broken proxy in front of the registry, not for the registry: it answers only
   * 503 pages, which is all such a proxy does. Traffic reaches it only during
   * {@link Fault#BROKEN_PROXY}. It closes each connection after its answer, so that no client
   * keeps one to it in its pool past {@link #restore()}.
   */
  private final LoopbackHttpServer brokenProxy = new LoopbackHttpServer(exchange -> {
    exchange.getResponseHeaders().set("Connection", "close");
    LoopbackHttpServer.respond(exchange, 503, "text/html", ENVOY_503);
  });

  public RegistryPath() {
    URI registry = URI.create(SharedSchemaRegistry.get().confluentApiUrl());
    registryPort = registry.getPort();
    apiPath = registry.getPath();
    try {
      proxy = new TcpProxy(registryPort, 16);
    } catch (IOException e) {
      brokenProxy.close();
      throw new UncheckedIOException(e);
    }
  }

  /** The Confluent-compatible API root as seen through the proxy: a task's {@code registry.url}. */
  public String url() {
    return "http://127.0.0.1:" + proxy.port() + apiPath;
  }

  public void fail(Fault fault) {
    switch (fault) {
      case DOWN -> proxy.refuse();
      case UNANSWERED -> proxy.partition();
      case BROKEN_PROXY -> {
        proxy.forwardTo(brokenProxy.port());
        proxy.cut();
      }
    }
  }

  /** The registry reachable again, over new connections (every open one is reset). */
  public void restore() {
    proxy.forwardTo(registryPort);
    proxy.heal();
    proxy.cut();
  }

  @Override
  public void close() {
    proxy.close();
    brokenProxy.close();
  }
}
