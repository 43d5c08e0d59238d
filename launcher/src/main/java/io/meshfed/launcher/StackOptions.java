package io.meshfed.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * How every command that talks to a stack finds it: {@code --dir} (default
 * {@code $MESHFED_DIR}, else {@code .meshfed}), the directory where {@code meshfed up} wrote
 * {@link EmbeddedStack#ENDPOINTS_FILE} and a kubeconfig per simulated cluster. A picocli mixin,
 * so the option reads the same on every command.
 */
final class StackOptions {

  static final String DIR_ENV = "MESHFED_DIR";

  @Option(names = "--dir", defaultValue = "${env:" + DIR_ENV + ":-.meshfed}",
      description = "the 'meshfed up' directory: its endpoints.properties and kubeconfigs name"
          + " the stack (default: $" + DIR_ENV + ", else .meshfed)")
  Path dir;

  /** An address and where it came from, so an error can say which setting to fix. */
  record Endpoint(String address, String source) {
    @Override
    public String toString() {
      return address + " (" + source + ")";
    }
  }

  /** The stack's endpoints as {@code meshfed up} wrote them. */
  Properties endpoints() throws StackUnreachable {
    Path file = dir.resolve(EmbeddedStack.ENDPOINTS_FILE);
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new StackUnreachable("no stack in " + dir + " (no " + file + "); start one with"
          + " 'meshfed up --dir " + dir + "', or pass the --dir of a running one");
    }
    return p;
  }

  /** The value of {@code key} in the endpoints file. */
  Endpoint endpoint(String key) throws StackUnreachable {
    String value = endpoints().getProperty(key);
    if (value == null) {
      throw new StackUnreachable("the stack in " + dir + " names no " + key + " in its "
          + EmbeddedStack.ENDPOINTS_FILE + " (a server it runs without, or a stack started"
          + " by an older meshfed)");
    }
    return new Endpoint(value, "from " + dir.resolve(EmbeddedStack.ENDPOINTS_FILE));
  }

  /** A cluster's kubeconfig in {@code --dir}. */
  Path kubeconfig(String cluster) throws StackUnreachable {
    Path file = dir.resolve(cluster + ".kubeconfig");
    if (!Files.exists(file)) {
      throw new StackUnreachable("no cluster '" + cluster + "' in " + dir + " (no " + file
          + "; is 'meshfed up' running there?)");
    }
    return file;
  }

  /**
   * The query API: {@code --server}, else {@code $MESHFED_SERVER}, else the one the stack in
   * {@code --dir} wrote (its port differs from 8080 when 8080 was taken, e.g. by another stack).
   */
  Endpoint queryApi(String server, Map<String, String> env) throws StackUnreachable {
    if (server != null) {
      return new Endpoint(server, "--server");
    }
    String fromEnv = env.get(QueryOptions.SERVER_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new Endpoint(fromEnv, QueryOptions.SERVER_ENV);
    }
    return endpoint("query.url");
  }

  /** A query API token and where it came from; {@link #toString} never shows the token. */
  record Token(String value, String source) {
    @Override
    public String toString() {
      return "token " + source;
    }
  }

  /**
   * The Kafka client security settings of the stack in {@code --dir}: its
   * {@link EmbeddedStack#CLIENT_CONFIG_FILE} when it is secured, else none (an open stack).
   */
  Map<String, Object> kafkaClientSecurity() throws StackUnreachable {
    String file = endpoints().getProperty("kafka.client.config");
    return file == null ? Map.of() : clientConfig(dir.resolve(file));
  }

  /** A Kafka client properties file ({@code --command-config}), as a map; bad file: refused. */
  static Map<String, Object> clientConfig(Path file) throws StackUnreachable {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new StackUnreachable("cannot read the Kafka client config " + file + ": "
          + Causes.of(e));
    }
    Map<String, Object> out = new java.util.HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  /** No stack where the options point: exit 3, as for a server that does not answer. */
  static final class StackUnreachable extends Exception {
    StackUnreachable(String message) {
      super(message);
    }
  }

  /** The options of the commands that ask a topology instance's query API. */
  static final class QueryOptions {
    static final String SERVER_ENV = "MESHFED_SERVER";
    static final String TOKEN_ENV = "MESHFED_TOKEN";

    @Option(names = "--server", description = "a topology instance's query API, e.g."
        + " http://127.0.0.1:8080 (default: $" + SERVER_ENV + ", else the one of the stack in"
        + " --dir)")
    String server;

    @picocli.CommandLine.Mixin
    StackOptions stack = new StackOptions();

    /** Where the query API is, for this process's environment. */
    Endpoint queryApi() throws StackUnreachable {
      return stack.queryApi(server, System.getenv());
    }

    /**
     * The token for {@code server}: {@code $MESHFED_TOKEN}, else the {@code read} token of the
     * stack in {@code --dir} when {@code server} is that stack's (a token is never sent to a
     * server it was not made for), else none.
     */
    Token token(Endpoint server) throws StackUnreachable {
      String fromEnv = System.getenv(TOKEN_ENV);
      if (fromEnv != null && !fromEnv.isBlank()) {
        return new Token(fromEnv.strip(), "from $" + TOKEN_ENV);
      }
      if (!server.source().startsWith("from ")) {
        return null;
      }
      String file = stack.endpoints().getProperty("query.tokens");
      if (file == null) {
        return null;
      }
      Path tokens = stack.dir.resolve(file);
      try {
        String read = EmbeddedStack.readToken(tokens, "read");
        return read == null ? null : new Token(read, "from " + tokens);
      } catch (IOException e) {
        throw new StackUnreachable("cannot read the query API tokens " + tokens + ": "
            + Causes.of(e));
      }
    }
  }
}
