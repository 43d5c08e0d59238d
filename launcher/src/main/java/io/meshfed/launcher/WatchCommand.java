package io.meshfed.launcher;

import io.meshfed.avro.FailoverDecision;
import io.meshfed.registry.RegistryConfig;
import io.meshfed.registry.SchemaRegistryClient;
import io.meshfed.serde.AvroSerde;
import io.meshfed.topics.MeshfedTopics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meshfed watch decisions}: subscribes to {@code meshfed.failover-events} (read_committed)
 * and prints each decision as it arrives, with the time the topology made it and how long it
 * took to get here. Kafka and the registry come from the options or from the endpoints a
 * running {@code meshfed up} wrote into its directory ({@link StackOptions}).
 */
@Command(name = "watch", description = "Print failover decisions as they are made.")
public final class WatchCommand implements Callable<Integer> {

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  @Parameters(index = "0", description = "decisions")
  String what;

  @Option(names = "--destination", description = "only this destination, as Kind/ns/name")
  String destination;

  @Option(names = "--from-beginning", description = "replay the whole decision log first")
  boolean fromBeginning;

  @Option(names = "--count", description = "stop after this many decisions (default: never)")
  int count = -1;

  @Option(names = "--bootstrap-servers", description = "Kafka (default: the stack's in --dir)")
  String bootstrapServers;

  @Option(names = "--registry", description = "the schema registry's URL (default: the stack's"
      + " in --dir)")
  String registry;

  @Option(names = "--command-config", paramLabel = "FILE", description = "Kafka client"
      + " settings (security.protocol, sasl.*, ssl.*), as Kafka's tools take them (default: the"
      + " stack's client.properties in --dir when it is secured and --bootstrap-servers is not"
      + " given)")
  Path commandConfig;

  @picocli.CommandLine.Mixin
  StackOptions stack = new StackOptions();

  PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    if (!"decisions".equals(what)) {
      System.err.println("meshfed watch: can watch 'decisions', not '" + what + "'");
      return 2;
    }
    StackOptions.Endpoint kafka;
    StackOptions.Endpoint schemas;
    Map<String, Object> settings = new java.util.HashMap<>();
    try {
      // Only a stack's own broker gets its credentials.
      settings.putAll(commandConfig != null ? StackOptions.clientConfig(commandConfig)
          : bootstrapServers == null ? stack.kafkaClientSecurity() : Map.of());
      kafka = bootstrapServers != null
          ? new StackOptions.Endpoint(bootstrapServers, "--bootstrap-servers")
          : stack.endpoint("bootstrap.servers");
      schemas = registry != null ? new StackOptions.Endpoint(registry, "--registry")
          : stack.endpoint("registry.url");
      // A Kafka consumer waits for a broker that is not there forever, warning as it goes:
      // one connection attempt each says at once which address is wrong.
      Reachability.check("Kafka", kafka, kafka.address().split(",")[0]);
      java.net.URI url = java.net.URI.create(schemas.address());
      Reachability.check("the schema registry", schemas, url.getHost() + ":" + url.getPort());
    } catch (StackOptions.StackUnreachable e) {
      System.err.println("meshfed watch: " + e.getMessage());
      return 3;
    }
    bootstrapServers = kafka.address();
    registry = schemas.address();
    var deserializer = AvroSerde.of(FailoverDecision.class,
        new SchemaRegistryClient(RegistryConfig.of(registry))).deserializer();
    settings.putAll(Map.<String, Object>of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "meshfed-watch-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
    try (var consumer = new KafkaConsumer<>(settings, new StringDeserializer(), deserializer)) {
      consumer.subscribe(List.of(MeshfedTopics.FAILOVER_EVENTS));
      int seen = 0;
      while (count < 0 || seen < count) {
        for (var record : consumer.poll(Duration.ofMillis(100))) {
          FailoverDecision d = record.value();
          String dest = d.getDestination().getKind() + "/" + d.getDestination().getNamespace()
              + "/" + d.getDestination().getName();
          if (destination != null && !destination.equals(dest)) {
            continue;
          }
          long lag = java.time.Instant.now().toEpochMilli() - d.getTime().toEpochMilli();
          out.printf("%s (+%d ms)  %s  client=%s  epoch=%d  %s  %s%n", CLOCK.format(d.getTime()),
              lag, dest, d.getClientCluster(), d.getEpoch(), d.getReasonCode(), d.getReason());
          out.flush();
          if (count >= 0 && ++seen >= count) {
            break;
          }
        }
      }
    }
    return 0;
  }
}
