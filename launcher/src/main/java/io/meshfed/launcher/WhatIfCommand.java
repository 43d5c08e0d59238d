package io.meshfed.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code meshfed whatif -f policy.yaml --from T [--to T] [-o table|json]}: asks a topology
 * instance to replay its retained events with the proposed resources (POST /v1/whatif) and
 * prints the decisions made next to those the proposal would have made. The replay runs in the
 * topology instance, with its config (timers, policy sources); this command only sends the file.
 */
@Command(name = "whatif", description = "Replay the retained events with proposed resources"
    + " (e.g. a FailoverPolicy with another minHealthyDuration) and compare the decisions they"
    + " would have made with those made. Read-only.")
public final class WhatIfCommand implements Callable<Integer> {

  @Option(names = "-f", required = true, description = "YAML file of the proposed meshfed"
      + " resources; each replaces the live one of the same kind, namespace and name, or is"
      + " added beside the live ones")
  Path file;

  @Option(names = "--from", required = true, description = "start of the window: an instant"
      + " (2026-11-22T10:00:00Z) or a duration ago (15m, 2h, 1d)")
  String from;

  @Option(names = "--to", defaultValue = "now", description = "end of the window (default"
      + " ${DEFAULT-VALUE})")
  String to;

  @Option(names = "--flap-window", defaultValue = "5m", description = "a failback undone within"
      + " this is a flap (default ${DEFAULT-VALUE})")
  String flapWindow;

  @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json")
  String output;

  @picocli.CommandLine.Mixin
  StackOptions.QueryOptions query = new StackOptions.QueryOptions();

  PrintStream out = System.out;
  PrintStream err = System.err;

  @Override
  public Integer call() throws InterruptedException {
    if (!output.equals("table") && !output.equals("json")) {
      err.println("meshfed whatif: unknown output '" + output + "' (table or json)");
      return 2;
    }
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      err.println("meshfed whatif: cannot read " + file + ": " + Causes.of(e));
      return 2;
    }
    String path = "/v1/whatif?from=" + encode(from) + "&to=" + encode(to) + "&flapWindow="
        + encode(flapWindow);
    try {
      // A replay of a day of a large fleet takes minutes (README: What-if replay).
      String body = QueryClient.of(query).post(path, "application/yaml", yaml,
          output.equals("json") ? "application/json" : "text/plain", Duration.ofMinutes(30));
      if (output.equals("json")) {
        out.println(QueryClient.JSON.writerWithDefaultPrettyPrinter()
            .writeValueAsString(QueryClient.JSON.readTree(body)));
      } else {
        out.print(body);
      }
      return 0;
    } catch (QueryClient.Failed f) {
      err.println("meshfed whatif: " + f.getMessage());
      return f.exit;
    } catch (IOException e) {
      err.println("meshfed whatif: unreadable answer: " + Causes.of(e));
      return 3;
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
