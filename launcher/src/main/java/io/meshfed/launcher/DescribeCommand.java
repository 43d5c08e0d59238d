package io.meshfed.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code meshfed describe failoverservice|virtualdestination NS/NAME}: status, the tiers and
 * weights each client cluster gets, and the recent decisions with their reasons.
 */
@Command(name = "describe", description = "Status, tiers and weights per client cluster, and"
    + " recent decisions of a destination.")
public final class DescribeCommand implements Callable<Integer> {

  @Parameters(index = "0", description = "failoverservice | virtualdestination")
  String kind;

  @Parameters(index = "1", description = "NAMESPACE/NAME")
  String name;

  @picocli.CommandLine.Mixin
  StackOptions.QueryOptions query = new StackOptions.QueryOptions();

  PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    String[] ref = name.split("/", -1);
    String[] paths = switch (kind) {
      case "failoverservice", "failoverservices", "fs" ->
          new String[] {"/v1/failover-services/", "FailoverService"};
      case "virtualdestination", "virtualdestinations", "vd" ->
          new String[] {"/v1/virtual-destinations/", "VirtualDestination"};
      default -> null;
    };
    if (paths == null || ref.length != 2) {
      System.err.println("meshfed describe: usage: meshfed describe failoverservice|"
          + "virtualdestination NAMESPACE/NAME");
      return 2;
    }
    try {
      QueryClient api = QueryClient.of(query);
      JsonNode d = api.get(paths[0] + name);
      JsonNode status = d.path("status");
      out.printf("Name:         %s/%s%nKind:         %s%nHostnames:    %s%nPort:         %s%n"
          + "State:        %s (generation %s)%n", d.path("namespace").asText(),
          d.path("name").asText(), d.path("kind").asText(), d.path("hostnames"),
          d.path("port").asText(), status.path("state").asText(),
          status.path("observedGeneration").asText("-"));
      status.path("validationErrors").forEach(e -> out.println("Error:        " + e.asText()));
      status.path("warnings").forEach(w -> out.println("Warning:      " + w.asText()));
      out.println("Backing:      " + status.path("selectedBackingServices"));
      if (status.has("appliedDestinationPolicies")) {
        out.println("Policies:     " + status.path("appliedDestinationPolicies"));
      }
      for (JsonNode c : status.path("conditions")) {
        out.printf("Condition:    %-9s %-6s %s: %s (since %s)%n", c.path("type").asText(),
            c.path("status").asText(), c.path("reason").asText(), c.path("message").asText(),
            c.path("lastTransitionTime").asText());
      }
      var meshes = status.path("meshes").fields();
      while (meshes.hasNext()) {
        var mesh = meshes.next();
        out.printf("Mesh:         %s %s%s%n", mesh.getKey(), mesh.getValue().path("state")
            .asText(), mesh.getValue().path("errors").isEmpty() ? ""
            : " " + mesh.getValue().path("errors"));
      }
      var clusters = status.path("clusters").fieldNames();
      while (clusters.hasNext()) {
        String cluster = clusters.next();
        JsonNode applied = status.path("clusters").path(cluster);
        // The status names the latest epoch only where the cluster is judged on it (it applied
        // this generation); the client view below always shows the epoch of its config.
        long latest = applied.path("latestEpoch").asLong(-1);
        out.printf("%nClient cluster %s (%s, applied generation %s epoch %s%s):%n",
            cluster, applied.path("state").asText(), applied.path("appliedGeneration").asText(),
            applied.path("appliedEpoch").asText(), latest < 0 ? "" : " of latest " + latest);
        try {
          JsonNode agent = api.get("/v1/clusters/" + cluster);
          long restartEpoch = agent.path("agentRestartEpoch").asLong(-1);
          out.printf("  agent restart epoch %s%n", restartEpoch < 0 ? "not reported"
              : restartEpoch + " (" + restartEpoch + (restartEpoch == 1 ? " restart" : " restarts")
              + ", started " + agent.path("agentStartedAt").asText() + ")");
        } catch (QueryClient.Failed unknown) {
          out.println("  agent restart epoch: no heartbeat yet");
        }
        for (JsonNode c : applied.path("conditions")) {
          out.printf("  %s %s %s: %s%n", c.path("type").asText(), c.path("status").asText(),
              c.path("reason").asText(), c.path("message").asText());
        }
        try {
          JsonNode view = api.get("/v1/destinations/" + paths[1] + "/" + name + "/clients/"
              + cluster);
          out.printf("  epoch %s, active tier %s%s%n", view.path("epoch").asText(),
              view.path("activeTier").asText(), view.path("panic").asBoolean() ? " (panic)" : "");
          for (JsonNode tier : view.path("tiers")) {
            out.printf("  tier %s  %3s%%  %s%n", tier.path("index").asText(),
                tier.path("loadPercent").asText(), tier.path("members"));
            for (JsonNode e : tier.path("endpoints")) {
              out.printf("      %-16s weight %3s  %s%n", e.path("address").asText() + ":"
                  + e.path("port").asText(), e.path("weight").asText(), e.path("health").asText());
            }
          }
        } catch (QueryClient.Failed notYet) {
          out.println("  (no config yet)");
        }
      }
      JsonNode decisions = api.get("/v1/decisions?destination=" + paths[1] + "/" + name + "&limit=5");
      out.printf("%nRecent decisions:%n");
      for (JsonNode dec : decisions.path("items")) {
        out.printf("  %s  epoch %s  %-8s %s: %s%n", dec.path("time").asText(),
            dec.path("epoch").asText(), dec.path("clientCluster").asText(),
            dec.path("reasonCode").asText(), dec.path("reason").asText());
      }
      return 0;
    } catch (QueryClient.Failed f) {
      System.err.println("meshfed describe: " + f.getMessage());
      return f.exit;
    }
  }
}
