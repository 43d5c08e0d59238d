package io.meshfed.topology.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyConfigTest {

  private static Properties minimal() {
    Properties p = new Properties();
    p.setProperty("meshfed.bootstrap.servers", "kafka:9092");
    p.setProperty("meshfed.registry.url", "http://registry:8081");
    p.setProperty("meshfed.policy.source.clusters", "mgmt-cluster, other");
    return p;
  }

  @Test
  void defaultsAreLatencyTunedAndExactlyOnce() {
    TopologyConfig c = TopologyConfig.fromProperties(minimal());
    assertThat(c.exactlyOnce()).isTrue();
    assertThat(c.commitInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.producerLinger()).as("a commit flushes; linger only batches a transaction")
        .isEqualTo(Duration.ofMillis(100));
    assertThat(c.cacheMaxBytes()).isZero();
    assertThat(c.policySourceClusters()).containsExactlyInAnyOrder("mgmt-cluster", "other");
    assertThat(c.registry().autoRegister()).isFalse();
  }

  @Test
  void lingerIsAPerHopDelayWithAtLeastOnceAndAnExplicitValueWins() {
    Properties alos = minimal();
    alos.setProperty("meshfed.processing.guarantee", "at_least_once");
    assertThat(TopologyConfig.fromProperties(alos).producerLinger())
        .isEqualTo(Duration.ofMillis(1));
    assertThat(TopologyConfig.fromProperties(minimal()).withExactlyOnce(false).producerLinger())
        .isEqualTo(Duration.ofMillis(1));
    Properties explicit = minimal();
    explicit.setProperty("meshfed.producer.linger.ms", "7");
    assertThat(TopologyConfig.fromProperties(explicit).producerLinger())
        .isEqualTo(Duration.ofMillis(7));
    assertThat(TopologyConfig.fromProperties(explicit).withExactlyOnce(false).producerLinger())
        .isEqualTo(Duration.ofMillis(7));
  }

  @Test
  void environmentOverridesTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("topology.properties");
    try (var out = Files.newOutputStream(file)) {
      minimal().store(out, null);
    }
    TopologyConfig c = TopologyConfig.load(file, Map.of("MESHFED_HEARTBEAT_TTL_MS", "5000",
        "MESHFED_PROCESSING_GUARANTEE", "at_least_once"));
    assertThat(c.heartbeatTtl()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.exactlyOnce()).isFalse();
  }

  @Test
  void kafkaSecuritySettingsReachStreamsAndAreValidatedNamingTheKey() {
    Properties p = minimal();
    p.setProperty("meshfed.kafka.security.protocol", "SASL_SSL");
    p.setProperty("meshfed.kafka.sasl.mechanism", "SCRAM-SHA-512");
    p.setProperty("meshfed.kafka.sasl.jaas.config", "org.apache.kafka.common.security.scram"
        + ".ScramLoginModule required username=\"t\" password=\"p\";");
    TopologyConfig c = TopologyConfig.fromProperties(p);
    assertThat(c.kafkaClient()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512").hasSize(3);
    Properties streams = io.meshfed.topology.StreamsSettings.from(c);
    assertThat(streams.getProperty("security.protocol")).isEqualTo("SASL_SSL");
    assertThat(streams.getProperty("sasl.jaas.config")).contains("username=\"t\"");

    Properties noJaas = minimal();
    noJaas.setProperty("meshfed.kafka.security.protocol", "SASL_PLAINTEXT");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(noJaas))
        .hasMessage("config key 'meshfed.kafka.sasl.jaas.config' is required with"
            + " meshfed.kafka.security.protocol=SASL_PLAINTEXT");
    Properties badProtocol = minimal();
    badProtocol.setProperty("meshfed.kafka.security.protocol", "TLS");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(badProtocol))
        .hasMessageStartingWith("config key 'meshfed.kafka.security.protocol': 'TLS' is not one"
            + " of");
    // Anything but security would silently override what meshfed tunes itself.
    Properties other = minimal();
    other.setProperty("meshfed.kafka.linger.ms", "100");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(other))
        .hasMessageStartingWith("config key 'meshfed.kafka.linger.ms': only Kafka client"
            + " security settings");
  }

  @Test
  void badValuesFailFastNamingTheKey() {
    Properties p = minimal();
    p.setProperty("meshfed.threads", "many");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(p))
        .hasMessage("config key 'meshfed.threads': 'many' is not valid (For input string:"
            + " \"many\")");
    Properties q = minimal();
    q.setProperty("meshfed.processing.guarantee", "exactly_once");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(q))
        .hasMessage("config key 'meshfed.processing.guarantee': 'exactly_once' is not"
            + " exactly_once_v2 or at_least_once");
    Properties r = minimal();
    r.setProperty("meshfed.comit.interval.ms", "5");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(r))
        .hasMessageStartingWith("unknown config key 'meshfed.comit.interval.ms'");
    Properties s = minimal();
    s.remove("meshfed.registry.url");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(s))
        .hasMessage("config key 'meshfed.registry.url' is required");
    Properties t = minimal();
    t.setProperty("meshfed.policy.source.clusters", "Bad_Name");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(t))
        .hasMessageContaining("invalid cluster name 'Bad_Name'");
    Properties u = minimal();
    u.setProperty("meshfed.partitions", "0");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(u))
        .hasMessage("config key 'meshfed.partitions': 0 must be >= 1");
  }

  @Test
  void crashDetectionReachesTheGroupAndBadValuesFailNamingTheKey() {
    TopologyConfig defaults = TopologyConfig.fromProperties(minimal());
    // Neither key given: 6 s until the broker is asked at start, and open to what it allows.
    assertThat(defaults.crashDetection()).isEqualTo(CrashDetection.DEFAULT);
    assertThat(defaults.crashDetection().sessionTimeout()).isEqualTo(Duration.ofSeconds(6));
    assertThat(defaults.crashDetection().heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(defaults.crashDetection().negotiable()).isTrue();
    Properties streams = io.meshfed.topology.StreamsSettings.from(defaults);
    assertThat(streams.get("consumer.session.timeout.ms")).isEqualTo(6_000);
    assertThat(streams.get("consumer.heartbeat.interval.ms")).isEqualTo(2_000);

    // A session alone brings heartbeats every third of it; both can be given.
    Properties session = minimal();
    session.setProperty("meshfed.group.session.timeout.ms", "3000");
    assertThat(TopologyConfig.fromProperties(session).crashDetection().heartbeatInterval())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(TopologyConfig.fromProperties(session).crashDetection().negotiable()).isFalse();
    Properties heartbeatOnly = minimal();
    heartbeatOnly.setProperty("meshfed.group.heartbeat.interval.ms", "1000");
    assertThat(TopologyConfig.fromProperties(heartbeatOnly).crashDetection())
        .isEqualTo(new CrashDetection(Duration.ofSeconds(6), Duration.ofSeconds(1), false));
    Properties both = minimal();
    both.setProperty("meshfed.group.session.timeout.ms", "6000");
    both.setProperty("meshfed.group.heartbeat.interval.ms", "500");
    assertThat(TopologyConfig.load(null, Map.of("MESHFED_BOOTSTRAP_SERVERS", "kafka:9092",
        "MESHFED_REGISTRY_URL", "http://registry:8081", "MESHFED_POLICY_SOURCE_CLUSTERS", "mgmt",
        "MESHFED_GROUP_HEARTBEAT_INTERVAL_MS", "1500", "MESHFED_GROUP_SESSION_TIMEOUT_MS",
        "6000")).crashDetection())
        .isEqualTo(new CrashDetection(Duration.ofSeconds(6), Duration.ofMillis(1500)));
    assertThat(TopologyConfig.fromProperties(both).crashDetection().heartbeatInterval())
        .isEqualTo(Duration.ofMillis(500));

    Properties tooShort = minimal();
    tooShort.setProperty("meshfed.group.session.timeout.ms", "500");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(tooShort))
        .hasMessage("config key 'meshfed.group.session.timeout.ms': 500 must be between 1000"
            + " and 1800000");
    Properties slowHeartbeat = minimal();
    slowHeartbeat.setProperty("meshfed.group.heartbeat.interval.ms", "2500");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(slowHeartbeat))
        .hasMessage("config key 'meshfed.group.heartbeat.interval.ms': 2500 must be > 0 and at"
            + " most a third of meshfed.group.session.timeout.ms (6000)");
    Properties notANumber = minimal();
    notANumber.setProperty("meshfed.group.session.timeout.ms", "3s");
    assertThatThrownBy(() -> TopologyConfig.fromProperties(notANumber))
        .hasMessageStartingWith("config key 'meshfed.group.session.timeout.ms': '3s' is not"
            + " valid");
  }

  @Test
  void anUnchosenSessionIsTheShortestTheBrokerAcceptsFromThreeSecondsUp() {
    Duration stockMax = Duration.ofMinutes(30);
    // meshfed's own broker (minimum 1 s): 2.5 s, heartbeats every 500 ms.
    assertThat(CrashDetection.DEFAULT.forBroker(Duration.ofSeconds(1), stockMax))
        .isEqualTo(new CrashDetection(Duration.ofMillis(2500), Duration.ofMillis(500), false));
    // A stock broker (minimum 6 s): 6 s, as before there was a question; heartbeats as often.
    assertThat(CrashDetection.DEFAULT.forBroker(Duration.ofSeconds(6), stockMax))
        .isEqualTo(new CrashDetection(Duration.ofSeconds(6), Duration.ofMillis(500), false));
    // A session under 1.5 s: heartbeats every third of it.
    assertThat(CrashDetection.DEFAULT.forBroker(Duration.ofMillis(1200), Duration.ofMillis(1200))
        .heartbeatInterval()).isEqualTo(Duration.ofMillis(400));
    // A broker stricter still: its minimum; one whose maximum is below 2.5 s: its maximum.
    assertThat(CrashDetection.DEFAULT.forBroker(Duration.ofSeconds(10), stockMax)
        .sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(CrashDetection.DEFAULT.forBroker(Duration.ofMillis(1500), Duration.ofSeconds(2))
        .sessionTimeout()).isEqualTo(Duration.ofSeconds(2));
    // Bounds meshfed would refuse itself (under its 1 s floor): left as they were.
    assertThat(CrashDetection.DEFAULT.forBroker(Duration.ofMillis(100), Duration.ofMillis(500)))
        .isEqualTo(CrashDetection.DEFAULT);
    // A session the operator chose is used as it is, whatever the broker allows.
    CrashDetection chosen = CrashDetection.of(Duration.ofSeconds(12));
    assertThat(chosen.forBroker(Duration.ofSeconds(1), stockMax)).isSameAs(chosen);
  }

  @Test
  void aSessionTheBrokerRefusesIsToldApartFromOtherThreadDeaths() {
    var refused = new org.apache.kafka.streams.errors.StreamsException(
        new org.apache.kafka.common.errors.InvalidSessionTimeoutException("The session timeout"
            + " is not within the range allowed by the broker"));
    assertThat(SessionRefusal.explain(refused, CrashDetection.DEFAULT))
        .isEqualTo("config key 'meshfed.group.session.timeout.ms': the broker refuses a session"
            + " of 6000 ms (outside its group.min.session.timeout.ms /"
            + " group.max.session.timeout.ms; a stock broker's minimum is 6000): set it within"
            + " them, or lower the broker's group.min.session.timeout.ms; the topology stops");
    assertThat(SessionRefusal.explain(new IllegalStateException("a bug"),
        CrashDetection.DEFAULT)).isNull();
  }
}
