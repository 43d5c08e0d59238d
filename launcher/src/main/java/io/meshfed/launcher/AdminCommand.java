package io.meshfed.launcher;

import io.meshfed.admin.AccessAdmin;
import io.meshfed.admin.AccessPlan;
import io.meshfed.admin.ClientConfig;
import io.meshfed.topology.admin.TakeoverEpochs;
import io.meshfed.topology.admin.TopicProvisioner;
import io.meshfed.topology.config.TopologyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meshfed admin}: clusters' topics, principals, credentials and ACLs on a secured Kafka
 * (what {@link AccessPlan} lists). Status goes to stderr and the credentials to stdout, so
 * {@code meshfed admin add-cluster east-1 ... > kafka-client.properties} keeps only the file.
 */
@Command(name = "admin", description = "Administration: clusters' topics, credentials, ACLs.",
    subcommands = {AdminCommand.AddCluster.class, AdminCommand.RemoveCluster.class,
        AdminCommand.GrantTopology.class, AdminCommand.Takeover.class})
final class AdminCommand implements Runnable {

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** How to reach Kafka as its super user; Kafka's own CLI tools take the same file. */
  static class Connection {
    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092")
    String bootstrap;

    @Option(names = "--command-config", description = "Kafka admin client properties"
        + " (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.*) of a super user")
    Path commandConfig;

    Admin admin() throws IOException {
      Map<String, Object> settings = new HashMap<>();
      if (commandConfig != null) {
        settings.putAll(clientProperties(commandConfig));
      }
      settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      return Admin.create(settings);
    }
  }

  /** A Kafka client properties file, as Kafka's own CLI tools take it (--command-config). */
  static Map<String, String> clientProperties(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    }
    Map<String, String> out = new HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }

  @Command(name = "add-cluster", description = "Create a cluster's events and config topics"
      + " (idempotent); with --command-config also its agent's SCRAM credential and ACLs, and"
      + " print the agent's Kafka client settings (a new password on every run).")
  static final class AddCluster implements Callable<Integer> {
    @Parameters(index = "0", description = "cluster name (DNS-1123 label)")
    String cluster;

    @CommandLine.Mixin
    Connection connection = new Connection();

    @Option(names = "--replication-factor", defaultValue = "-1", description = "replicas of"
        + " each topic created; default: the broker's default.replication.factor (-1)")
    short replication;

    @Option(names = "--topics-only", description = "create the topics and nothing else (no"
        + " credential, no ACLs, no settings printed): for a broker whose access is granted"
        + " outside Kafka, such as MSK with IAM policies (infra/terraform)")
    boolean topicsOnly;

    @Option(names = "--topology-principal", defaultValue = AccessPlan.DEFAULT_TOPOLOGY_USER,
        description = "user the topology runs as (default ${DEFAULT-VALUE})")
    String topologyUser;

    @Option(names = "--security-protocol", defaultValue = "SASL_SSL",
        description = "what the agent's settings say: SASL_SSL (default) or SASL_PLAINTEXT")
    String securityProtocol;

    @Option(names = "--secret-namespace", description = "print a Kubernetes Secret"
        + " meshfed-agent-kafka for this namespace instead of the properties")
    String secretNamespace;

    @Override
    public Integer call() throws IOException {
      if (connection.commandConfig == null || topicsOnly) {
        // An open broker has no principals to grant anything to; an IAM-authenticated one
        // grants through its policies, not Kafka's ACLs and SCRAM credentials.
        List<String> created;
        try (Admin admin = connection.admin()) {
          created = TopicProvisioner.addCluster(admin, cluster, replication);
        }
        System.out.println(created.isEmpty() ? "cluster " + cluster + ": topics already exist"
            : "cluster " + cluster + ": created " + String.join(", ", created));
        return 0;
      }
      // Checked before anything is created, so a typo costs nothing.
      ClientConfig.requireSaslProtocol(securityProtocol);
      try (Admin admin = connection.admin()) {
        AccessAdmin.AddedCluster added = new AccessAdmin(admin, topologyUser)
            .addCluster(cluster, replication);
        System.err.println("cluster " + cluster + ": " + (added.createdTopics().isEmpty()
            ? "topics already exist" : "created " + String.join(", ", added.createdTopics())));
        System.err.println("cluster " + cluster + ": principal User:" + added.agent().user()
            + ", " + added.acls().size() + " ACLs (agent and topology); the agent's client"
            + " settings follow, with a password shown only now");
        System.out.print(secretNamespace == null
            ? ClientConfig.agent(added.agent(), securityProtocol)
            : ClientConfig.agentSecret(added.agent(), securityProtocol, secretNamespace));
      }
      return 0;
    }
  }

  @Command(name = "remove-cluster", description = "Revoke a cluster agent's ACLs and delete"
      + " its credential; its open connections are refused on their next request. Topics and"
      + " the topology's access to them are kept.")
  static final class RemoveCluster implements Callable<Integer> {
    @Parameters(index = "0", description = "cluster name")
    String cluster;

    @CommandLine.Mixin
    Connection connection = new Connection();

    @Override
    public Integer call() throws IOException {
      try (Admin admin = connection.admin()) {
        new AccessAdmin(admin, AccessPlan.DEFAULT_TOPOLOGY_USER).removeCluster(cluster);
      }
      System.err.println("cluster " + cluster + ": access of User:"
          + AccessPlan.agentUser(cluster) + " revoked, credential deleted");
      return 0;
    }
  }

  @Command(name = "grant-topology", description = "Give the topology's principal a new SCRAM"
      + " password and what Kafka Streams needs for its application id; print its client"
      + " settings.")
  static final class GrantTopology implements Callable<Integer> {
    @CommandLine.Mixin
    Connection connection = new Connection();

    @Option(names = "--principal", defaultValue = AccessPlan.DEFAULT_TOPOLOGY_USER)
    String user;

    @Option(names = "--application-id", defaultValue = AccessPlan.DEFAULT_APPLICATION_ID,
        description = "meshfed.application.id of the topology (default ${DEFAULT-VALUE})")
    String applicationId;

    @Option(names = "--security-protocol", defaultValue = "SASL_SSL")
    String securityProtocol;

    @Override
    public Integer call() throws IOException {
      ClientConfig.requireSaslProtocol(securityProtocol);
      try (Admin admin = connection.admin()) {
        AccessAdmin.Credentials topology = new AccessAdmin(admin, user)
            .grantTopology(applicationId);
        System.err.println("User:" + user + ": Kafka Streams ACLs for application id "
            + applicationId + "; its client settings follow, with a password shown only now");
        System.out.print(ClientConfig.kafkaClient(topology, securityProtocol));
      }
      return 0;
    }
  }

  @Command(name = "takeover", description = "Before a standby region's topology first starts"
      + " after the hub is lost: raise each destination's epoch floor to the highest epoch"
      + " MirrorMaker 2 carried into this region (decision log and config topics), so its"
      + " decisions go on above what the agents applied. Only raises: safe to run again."
      + " Prints each raised destination and epoch.")
  static final class Takeover implements Callable<Integer> {
    @Parameters(index = "0", description = "the standby region's topology.properties, as the"
        + " topology will start with (MESHFED_* environment variables override)")
    Path config;

    @Option(names = "--command-config", description = "Kafka client properties to connect"
        + " with instead of the config's meshfed.kafka.*: a principal that may read the config"
        + " topics (the topology's grants only let it write them) and write the topology's"
        + " epoch changelog")
    Path commandConfig;

    @Override
    public Integer call() throws IOException {
      TopologyConfig settings = TopologyConfig.load(config, System.getenv());
      Map<String, String> security = commandConfig == null ? settings.kafkaClient()
          : clientProperties(commandConfig);
      Map<String, Long> raised = TakeoverEpochs.seed(settings, security);
      new java.util.TreeMap<>(raised).forEach((destination, epoch) ->
          System.out.println(destination + " " + epoch));
      System.err.println("takeover: raised the epoch floor of " + raised.size()
          + " destination(s) in " + TakeoverEpochs.changelog(settings.applicationId())
          + "; start the topology with " + config + " now");
      return 0;
    }
  }
}
