package io.meshfed.destination;

import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.MeshfedTopics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Destination API of one topology instance: a reader of every cluster's config topic and
 * the gRPC server answering from it. Every instance holds all destinations (they are small:
 * one record per destination and client cluster), so any instance answers any stream and a
 * proxy needs no routing.
 */
public final class DestinationServer implements AutoCloseable {

  /**
   * Where the server listens, what it reads, and the client cluster of token-less lookups.
   *
   * @param port the port, 0 for any free one
   * @param defaultClientCluster the client cluster of lookups whose token names none, or null
   * @param bindAddress the address to listen on (an IP literal or a host name);
   *     {@link #DEFAULT_BIND_ADDRESS} unless set, so it is reachable from outside the host only
   *     when asked for (a pod IP, or the wildcard address)
   * @param tls TLS, and optionally client certificates, for every connection; null serves
   *     plaintext
   * @param kafkaClient Kafka client security settings of its config-topic consumer
   *     ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}); empty for an open broker.
   *     On a secured broker its principal needs READ and DESCRIBE on every config topic
   */
  public record Settings(String bootstrapServers, RegistryConfig registry, int port,
      String defaultClientCluster, String bindAddress, Tls tls, Map<String, String> kafkaClient) {

    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";

    public Settings {
      Objects.requireNonNull(bindAddress, "bindAddress");
      kafkaClient = Map.copyOf(kafkaClient);
    }

    /** Against an open broker. */
    public Settings(String bootstrapServers, RegistryConfig registry, int port,
        String defaultClientCluster, String bindAddress, Tls tls) {
      this(bootstrapServers, registry, port, defaultClientCluster, bindAddress, tls, Map.of());
    }

    /** Plaintext. */
    public Settings(String bootstrapServers, RegistryConfig registry, int port,
        String defaultClientCluster, String bindAddress) {
      this(bootstrapServers, registry, port, defaultClientCluster, bindAddress, null);
    }

    /** Plaintext, listening on {@link #DEFAULT_BIND_ADDRESS}. */
    public Settings(String bootstrapServers, RegistryConfig registry, int port,
        String defaultClientCluster) {
      this(bootstrapServers, registry, port, defaultClientCluster, DEFAULT_BIND_ADDRESS);
    }
  }

  /**
   * The server's TLS material as PEM files, as a Kubernetes TLS Secret holds them
   * ({@code tls.crt}, {@code tls.key}, {@code ca.crt}). With TLS on, a plaintext connection is
   * refused before any call is read.
   *
   * @param certificateChain the server's certificate chain
   * @param privateKey its private key (PKCS#8)
   * @param clientCa when set, every client must present a certificate signed by one of these
   *     CAs (mutual TLS); when null, clients are not asked for one
   */
  public record Tls(Path certificateChain, Path privateKey, Path clientCa) {
    public Tls {
      Objects.requireNonNull(certificateChain, "certificateChain");
      Objects.requireNonNull(privateKey, "privateKey");
    }

    ServerCredentials credentials() throws IOException {
      TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder()
          .keyManager(certificateChain.toFile(), privateKey.toFile());
      if (clientCa != null) {
        builder.trustManager(clientCa.toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      return builder.build();
    }
  }

  private final DestinationIndex index = new DestinationIndex();
  private final ConfigTopicsReader reader;
  private final Thread readerThread;
  private final Server server;

  private DestinationServer(Settings settings) throws IOException {
    // First, so that unreadable TLS files fail the start before anything else is opened.
    ServerCredentials tls = settings.tls() == null ? null : settings.tls().credentials();
    SchemaRegistryClient registry = new SchemaRegistryClient(settings.registry());
    // The security settings first, so that none of the settings below can be overridden.
    Map<String, Object> consumerSettings = new java.util.HashMap<>(settings.kafkaClient());
    consumerSettings.putAll(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers(),
        ConsumerConfig.CLIENT_ID_CONFIG, "meshfed-destination-api-" + UUID.randomUUID(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10));
    KafkaConsumer<String, SpecificRecord> consumer = new KafkaConsumer<>(consumerSettings,
        new StringDeserializer(), AvroSerde.anyRecord(registry).deserializer());
    reader = new ConfigTopicsReader(consumer, new MeshfedTopics(registry).clusterConfig(), index);
    readerThread = new Thread(reader, "destination-api-config-reader");
    readerThread.setDaemon(true);
    InetSocketAddress address = new InetSocketAddress(settings.bindAddress(), settings.port());
    server = (tls == null ? NettyServerBuilder.forAddress(address)
            : NettyServerBuilder.forAddress(address, tls))
        .addService(new DestinationService(index, settings.defaultClientCluster()))
        .addService(ProtoReflectionService.newInstance())
        .build();
  }

  /**
   * Reads the config topics to their end, then starts serving, so the first answer of a stream
   * is never "does not exist" for a destination that does.
   */
  public static DestinationServer start(Settings settings, Duration catchUpTimeout)
      throws IOException, InterruptedException {
    DestinationServer api = new DestinationServer(settings);
    api.readerThread.start();
    if (!api.reader.awaitCaughtUp(catchUpTimeout)) {
      api.close();
      throw new IOException("destination API: config topics not read within " + catchUpTimeout);
    }
    api.server.start();
    return api;
  }

  public int port() {
    return server.getPort();
  }

  /** The address and port the server listens on. */
  public InetSocketAddress address() {
    return (InetSocketAddress) server.getListenSockets().get(0);
  }

  public DestinationIndex index() {
    return index;
  }

  @Override
  public void close() {
    server.shutdownNow();
    reader.close();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
      readerThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
