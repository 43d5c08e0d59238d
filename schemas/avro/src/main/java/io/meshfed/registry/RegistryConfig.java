package io.meshfed.registry;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * How to reach a Confluent-compatible schema registry.
 *
 * @param url API root, e.g. {@code http://registry:8081} (Confluent) or
 *     {@code http://apicurio:8080/apis/ccompat/v7} (Apicurio)
 * @param basicAuthUser user for HTTP basic auth, or empty
 * @param basicAuthPassword password for HTTP basic auth, or empty
 * @param sslContext TLS settings for an https URL (trust store, client certificate), or empty
 *     for the JVM default
 * @param requestTimeout timeout of one HTTP request
 * @param autoRegister register unknown schemas on first write; off in production (schemas are
 *     registered by the release pipeline under a compatibility rule), on for the embedded stack
 */
public record RegistryConfig(
    URI url,
    Optional<String> basicAuthUser,
    Optional<String> basicAuthPassword,
    Optional<SSLContext> sslContext,
    Duration requestTimeout,
    boolean autoRegister) {

  public RegistryConfig {
    Objects.requireNonNull(url, "registry url");
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException(
          "registry url must be http or https, got '" + url + "'");
    }
    if (basicAuthUser.isPresent() != basicAuthPassword.isPresent()) {
      throw new IllegalArgumentException("registry basic auth needs both a user and a password");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("registry request timeout must be positive");
    }
    // A trailing slash would double up in every request path.
    String text = url.toString();
    if (text.endsWith("/")) {
      url = URI.create(text.substring(0, text.length() - 1));
    }
  }

  /** Production defaults: 10 s timeout, no auto-registration. */
  public static RegistryConfig of(String url) {
    return new RegistryConfig(URI.create(url), Optional.empty(), Optional.empty(), Optional.empty(),
        Duration.ofSeconds(10), false);
  }

  public RegistryConfig withAutoRegister(boolean enabled) {
    return new RegistryConfig(url, basicAuthUser, basicAuthPassword, sslContext, requestTimeout,
        enabled);
  }

  public RegistryConfig withBasicAuth(String user, String password) {
    return new RegistryConfig(url, Optional.of(user), Optional.of(password), sslContext,
        requestTimeout, autoRegister);
  }

  public RegistryConfig withSslContext(SSLContext context) {
    return new RegistryConfig(url, basicAuthUser, basicAuthPassword, Optional.of(context),
        requestTimeout, autoRegister);
  }

  public RegistryConfig withRequestTimeout(Duration timeout) {
    return new RegistryConfig(url, basicAuthUser, basicAuthPassword, sslContext, timeout,
        autoRegister);
  }
}
