package io.meshfed.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code meshfed get failoverservices|virtualdestinations|failoverpolicies|outlierdetectionpolicies
 * |clusters [-n NS] [-o table|json]}:
 * kubectl-like tables from the query API. Exit codes: 0 ok, 1 not found, 2 usage, 3 the server
 * is unreachable.
 */
@Command(name = "get", description = "List failoverservices, virtualdestinations,"
    + " failoverpolicies, outlierdetectionpolicies, clusters, or the decisions of one"
    + " destination.")
public final class GetCommand implements Callable<Integer> {

  static final ObjectMapper JSON = QueryClient.JSON;

  @Parameters(index = "0",
      description = "failoverservices | virtualdestinations | failoverpolicies |"
          + " outlierdetectionpolicies | clusters | decisions")
  String what;

  @Option(names = "--destination", description = "with decisions: Kind/namespace/name")
  String destination;

  @Option(names = "--limit", defaultValue = "20", description = "with decisions: how many")
  int limit;

  @Option(names = {"-n", "--namespace"}, description = "only this namespace")
  String namespace;

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
  String output;

  @picocli.CommandLine.Mixin
  StackOptions.QueryOptions query = new StackOptions.QueryOptions();

  PrintStream out = System.out;
  PrintStream err = System.err;

  @Override
  public Integer call() {
    String path = switch (what) {
      case "failoverservices", "failoverservice", "fs" -> "/v1/failover-services";
      case "virtualdestinations", "virtualdestination", "vd" -> "/v1/virtual-destinations";
      case "failoverpolicies", "failoverpolicy", "fp" -> "/v1/failover-policies";
      case "outlierdetectionpolicies", "outlierdetectionpolicy", "odp" ->
          "/v1/outlier-detection-policies";
      case "clusters", "cluster" -> "/v1/clusters";
      case "decisions", "decision" -> destination == null ? null
          : "/v1/decisions?destination=" + destination + "&limit=" + limit;
      default -> null;
    };
    if (what.startsWith("decision") && destination == null) {
      err.println("meshfed get decisions: --destination Kind/namespace/name is required");
      return 2;
    }
    if (path == null || !(output.equals("table") || output.equals("json"))) {
      err.println("meshfed get: unknown " + (path == null ? "resource '" + what + "'"
          : "output '" + output + "'") + "; see meshfed get --help");
      return 2;
    }
    if (namespace != null && !path.equals("/v1/clusters") && !path.startsWith("/v1/decisions")) {
      path += "?namespace=" + namespace;
    }
    try {
      JsonNode body = QueryClient.of(query).get(path);
      if (output.equals("json")) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body));
      } else {
        out.print(path.startsWith("/v1/clusters") ? clusterTable(body)
            : path.startsWith("/v1/decisions") ? decisionTable(body)
            : path.contains("-policies") ? policyTable(body) : destinationTable(body));
      }
      return 0;
    } catch (QueryClient.Failed f) {
      err.println("meshfed get: " + f.getMessage());
      return f.exit;
    } catch (IOException | InterruptedException e) {
      err.println("meshfed get: " + e.getMessage());
      return 3;
    }
  }

  static String destinationTable(JsonNode body) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAMESPACE", "NAME", "STATE", "HOSTNAME", "PORT", "SELECTED", "AGE",
        "MESSAGE"});
    for (JsonNode item : body.path("items")) {
      JsonNode status = item.path("status");
      String message = firstMessage(status);
      rows.add(new String[] {item.path("namespace").asText(), item.path("name").asText(),
          status.path("state").asText("PENDING"),
          item.path("hostnames").size() > 0 ? item.path("hostnames").get(0).asText() : "",
          item.path("port").asText(""), status.path("numSelectedBackingServices").asText("0"),
          age(item.path("created").asText(null)), message});
    }
    return render(rows);
  }

  /** The row's MESSAGE: the first validation error, else the first warning, else nothing. */
  private static String firstMessage(JsonNode status) {
    JsonNode errors = status.path("validationErrors");
    JsonNode warnings = status.path("warnings");
    return errors.size() > 0 ? errors.get(0).asText()
        : warnings.size() > 0 ? warnings.get(0).asText() : "";
  }

  /** How many selected destinations a policy row names before "+N more". */
  static final int NAMED_IN_TABLE = 3;

  /** Policies: state, how many destinations they select and the first few of them. */
  static String policyTable(JsonNode body) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAMESPACE", "NAME", "STATE", "SELECTED", "AGE", "DESTINATIONS",
        "MESSAGE"});
    for (JsonNode item : body.path("items")) {
      JsonNode status = item.path("status");
      String message = firstMessage(status);
      List<String> named = new ArrayList<>();
      status.path("selectedDestinations").forEach(d -> named.add(d.asText()));
      int total = status.path("numSelectedDestinations").asInt(0);
      String destinations = String.join(",", named.subList(0, Math.min(NAMED_IN_TABLE,
          named.size()))) + (total > NAMED_IN_TABLE ? " +" + (total - NAMED_IN_TABLE) + " more"
          : "");
      rows.add(new String[] {item.path("namespace").asText(), item.path("name").asText(),
          status.path("state").asText("PENDING"), Integer.toString(total),
          age(item.path("created").asText(null)), destinations, message});
    }
    return render(rows);
  }

  static String clusterTable(JsonNode body) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "REGION", "ZONES", "MESH", "AGENT", "STALE", "LAST HEARTBEAT"});
    for (JsonNode c : body.path("items")) {
      List<String> zones = new ArrayList<>();
      c.path("zones").forEach(z -> zones.add(z.asText()));
      rows.add(new String[] {c.path("name").asText(), c.path("region").asText(""),
          String.join(",", zones), c.path("meshKind").asText(), c.path("agentVersion").asText(),
          c.path("stale").asText(), c.path("lastHeartbeat").asText()});
    }
    return render(rows);
  }

  static String decisionTable(JsonNode body) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"EPOCH", "CLIENT", "TIME", "REASON", "ACTIVE TIER", "DETAIL"});
    for (JsonNode d : body.path("items")) {
      rows.add(new String[] {d.path("epoch").asText(), d.path("clientCluster").asText(),
          d.path("time").asText(), d.path("reasonCode").asText(),
          d.path("after").path("activeTier").asText(), d.path("reason").asText()});
    }
    return render(rows);
  }

  private static String age(String created) {
    if (created == null) {
      return "";
    }
    Duration d = Duration.between(Instant.parse(created), Instant.now());
    if (d.isNegative()) {
      return "0s";
    }
    return d.toDays() > 0 ? d.toDays() + "d" : d.toHours() > 0 ? d.toHours() + "h"
        : d.toMinutes() > 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
  }

  private static String render(List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder text = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(String.format("%-" + (widths[i] + 3) + "s", row[i]));
      }
      text.append(line.toString().stripTrailing()).append('\n');
    }
    return text.toString();
  }
}
