package io.meshfed.connectors.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Just enough of the Confluent registry API (register, schema by id) to switch outages on and
 * off, which a real registry child process cannot do quickly. The real registry is used where
 * only the normal path is tested.
 */
public final class FakeSchemaRegistry implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final AtomicBoolean down = new AtomicBoolean();
  private final AtomicInteger nextId = new AtomicInteger(41);
  private final Map<String, Integer> ids = new ConcurrentHashMap<>();
  private final Map<Integer, String> schemas = new ConcurrentHashMap<>();
  private final LoopbackHttpServer server;

  public FakeSchemaRegistry() {
    server = new LoopbackHttpServer(exchange -> {
      if (down.get()) {
        LoopbackHttpServer.respond(exchange, 503, "text/html",
            "<html><body>upstream connect error or disconnect/reset before headers</body></html>");
        return;
      }
      String path = exchange.getRequestURI().getPath();
      if ("POST".equals(exchange.getRequestMethod()) && path.matches("/subjects/[^/]+/versions")) {
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String schema = body.path("schema").asText();
        int id = ids.computeIfAbsent(schema, s -> nextId.incrementAndGet());
        schemas.put(id, schema);
        LoopbackHttpServer.respond(exchange, 200, "application/json", "{\"id\":" + id + "}");
      } else if ("GET".equals(exchange.getRequestMethod()) && path.startsWith("/schemas/ids/")) {
        String schema = schemas.get(Integer.parseInt(path.substring("/schemas/ids/".length())));
        if (schema == null) {
          LoopbackHttpServer.respond(exchange, 404, "application/json",
              "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        } else {
          LoopbackHttpServer.respond(exchange, 200, "application/json",
              JSON.createObjectNode().put("schema", schema).toString());
        }
      } else {
        LoopbackHttpServer.respond(exchange, 404, "application/json",
            "{\"error_code\":404,\"message\":\"not faked\"}");
      }
    });
  }

  public String url() {
    return server.url();
  }

  public void setDown(boolean isDown) {
    down.set(isDown);
  }

  @Override
  public void close() {
    server.close();
  }
}
