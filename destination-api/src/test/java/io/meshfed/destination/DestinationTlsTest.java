package io.meshfed.destination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.linkerd.proxy.destination.DestinationGrpc;
import io.linkerd.proxy.destination.GetDestination;
import io.linkerd.proxy.destination.Update;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.testing.KafkaStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Destination API with TLS on: plaintext is refused, a client that trusts the server's
 * certificate is served, and with a client CA only clients holding a certificate it signed.
 * Certificates are made by the JDK's keytool; no call needs a destination to exist.
 */
class DestinationTlsTest {

  @RegisterExtension
  static final KafkaStack STACK = KafkaStack.brokerOnly();

  @TempDir
  static Path dir;

  private static Pem server;
  private static Pem client;

  /** A key pair's self-signed certificate and PKCS#8 private key, as PEM files. */
  record Pem(Path certificate, Path privateKey) {}

  @BeforeAll
  static void topicsAndCertificates() throws Exception {
    // The API starts serving once it has read the config topics: it needs one to exist.
    io.meshfed.topology.admin.TopicProvisioner.addCluster(STACK.bootstrapServers(),
        "mgmt-cluster", (short) 1);
    server = selfSigned("server", "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
    client = selfSigned("client", "CN=meshfed-proxy", null);
  }

  @Test
  void withTlsOnAPlaintextClientIsRefusedAndATrustingOneIsServed() throws Exception {
    try (DestinationServer api = start(new DestinationServer.Tls(server.certificate(),
        server.privateKey(), null))) {
      ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", api.port())
          .usePlaintext().build();
      try {
        assertThatThrownBy(() -> firstUpdate(plaintext))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      } finally {
        plaintext.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      ManagedChannel tls = tlsChannel(api, TlsChannelCredentials.newBuilder()
          .trustManager(server.certificate().toFile()).build());
      try {
        assertThat(firstUpdate(tls).getNoEndpoints().getExists()).isFalse();
      } finally {
        tls.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void withAClientCaOnlyClientsWithACertificateItSignedAreServed() throws Exception {
    try (DestinationServer api = start(new DestinationServer.Tls(server.certificate(),
        server.privateKey(), client.certificate()))) {
      ManagedChannel anonymous = tlsChannel(api, TlsChannelCredentials.newBuilder()
          .trustManager(server.certificate().toFile()).build());
      try {
        assertThatThrownBy(() -> firstUpdate(anonymous))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
      } finally {
        anonymous.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      ManagedChannel known = tlsChannel(api, TlsChannelCredentials.newBuilder()
          .trustManager(server.certificate().toFile())
          .keyManager(client.certificate().toFile(), client.privateKey().toFile()).build());
      try {
        assertThat(firstUpdate(known).getNoEndpoints().getExists()).isFalse();
      } finally {
        known.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static DestinationServer start(DestinationServer.Tls tls) throws Exception {
    return DestinationServer.start(new DestinationServer.Settings(STACK.bootstrapServers(),
        RegistryConfig.of("http://127.0.0.1:1"), 0, "mgmt-cluster",
        DestinationServer.Settings.DEFAULT_BIND_ADDRESS, tls), Duration.ofSeconds(30));
  }

  private static ManagedChannel tlsChannel(DestinationServer api, ChannelCredentials tls) {
    return NettyChannelBuilder.forAddress("localhost", api.port(), tls).build();
  }

  /** The first message of a stream on a name nobody has: no_endpoints{exists:false}. */
  private static Update firstUpdate(ManagedChannel channel) {
    return DestinationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .get(GetDestination.newBuilder().setScheme("k8s").setPath("nobody.example:80")
            .build()).next();
  }

  private static Pem selfSigned(String alias, String name, String extension) throws Exception {
    Path store = dir.resolve(alias + ".p12");
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", alias, "-keyalg", "RSA", "-keysize", "2048",
        "-dname", name, "-validity", "2", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", "changeit"));
    if (extension != null) {
      command.addAll(List.of("-ext", extension));
    }
    Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor()).as(output).isZero();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(store)) {
      keys.load(in, "changeit".toCharArray());
    }
    Path certificate = dir.resolve(alias + ".crt");
    Path privateKey = dir.resolve(alias + ".key");
    Files.writeString(certificate, pem("CERTIFICATE", keys.getCertificate(alias).getEncoded()));
    Files.writeString(privateKey, pem("PRIVATE KEY",
        keys.getKey(alias, "changeit".toCharArray()).getEncoded()));
    return new Pem(certificate, privateKey);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
