package io.meshfed.bench.regions;

import java.util.ArrayList;
import java.util.List;

/**
 * Which topics MirrorMaker 2 carries each way, as {@code infra/terraform/main.tf} lists them:
 * each topic has one writer region, so identity replication cannot loop.
 */
public final class RegionTopics {

  public static final String DECISION_LOG = "meshfed.failover-events";

  private RegionTopics() {}

  public static String events(String cluster) {
    return "meshfed.cluster." + cluster + ".events";
  }

  public static String config(String cluster) {
    return "meshfed.cluster." + cluster + ".config";
  }

  /**
   * Hub → standby: the standby agents' configs (written by the topology at the hub), the hub
   * agents' events (so that a standby topology has every input after a hub loss) and the
   * decision log.
   */
  public static List<String> hubToStandby(List<String> hubClusters,
      List<String> standbyClusters) {
    List<String> topics = new ArrayList<>();
    standbyClusters.forEach(c -> topics.add(config(c)));
    hubClusters.forEach(c -> topics.add(events(c)));
    topics.add(DECISION_LOG);
    return topics;
  }

  /** Standby → hub: the standby agents' events. */
  public static List<String> standbyToHub(List<String> standbyClusters) {
    return standbyClusters.stream().map(RegionTopics::events).toList();
  }
}
