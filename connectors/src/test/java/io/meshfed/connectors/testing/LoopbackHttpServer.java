package io.meshfed.connectors.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/** A JDK HTTP server on 127.0.0.1 and a free port; tests stand it in for a real dependency. */
public final class LoopbackHttpServer implements AutoCloseable {

  /** Answers one exchange. */
  public interface Handler {
    void handle(HttpExchange exchange) throws Exception;
  }

  private final HttpServer server;

  public LoopbackHttpServer(Handler handler) {
    this(InetAddress.getLoopbackAddress(), 0, handler);
  }

  /**
   * On another loopback address (127.0.0.2, ...) and a given port (0 = free): VMs of one
   * service serve the same port on different addresses, as an EndpointSlice lists them.
   */
  public LoopbackHttpServer(InetAddress address, int port, Handler handler) {
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 16);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/", exchange -> {
      try (exchange) {
        handler.handle(exchange);
      } catch (Exception e) {
        // The client sees a reset connection; that is what a broken server looks like.
      }
    });
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "loopback-http");
      t.setDaemon(true);
      return t;
    }));
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
