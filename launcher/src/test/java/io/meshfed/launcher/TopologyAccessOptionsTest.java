package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code meshfed topology} refuses to serve its APIs without saying who may call them. */
class TopologyAccessOptionsTest {

  @TempDir
  Path dir;

  private Path config() throws Exception {
    // Nothing listens on port 1: a run that got past the checks would fail differently.
    return Files.writeString(dir.resolve("topology.properties"), """
        meshfed.bootstrap.servers=127.0.0.1:1
        meshfed.registry.url=http://127.0.0.1:1
        meshfed.policy.source.clusters=mgmt-cluster
        meshfed.application.server=127.0.0.1:8080
        """);
  }

  @Test
  void theQueryApiNeedsTokensOrAnExplicitAnonymousRole() throws Exception {
    CliRun neither = meshfed("topology", config().toString());
    assertThat(neither.exit()).isEqualTo(2);
    assertThat(neither.err().strip()).isEqualTo("meshfed topology: the query API needs"
        + " --http-tokens FILE or --http-anonymous read|admin (one of them)");
    CliRun both = meshfed("topology", config().toString(), "--http-anonymous", "read",
        "--http-tokens", dir.resolve("tokens").toString());
    assertThat(both.exit()).isEqualTo(2);
    CliRun badRole = meshfed("topology", config().toString(), "--http-anonymous", "root");
    assertThat(badRole.exit()).isEqualTo(2);
    assertThat(badRole.err().strip())
        .isEqualTo("meshfed topology: --http-anonymous must be read or admin");
  }

  @Test
  void grpcTlsNeedsACertificateAndItsKey() throws Exception {
    CliRun certOnly = meshfed("topology", config().toString(), "--http-anonymous", "read",
        "--grpc-port", "0", "--grpc-tls-cert", dir.resolve("tls.crt").toString());
    assertThat(certOnly.exit()).isEqualTo(2);
    assertThat(certOnly.err().strip()).isEqualTo("meshfed topology: --grpc-tls-cert and"
        + " --grpc-tls-key go together, and --grpc-tls-client-ca needs them");
  }
}
