package io.meshfed.bench.e2e;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Markdown summary of a run: every figure comes from the results map of that run, with the
 * ratio to the floor beside each latency and a verdict against each target of issue #8.
 */
final class Summary {

  private Summary() {}

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static Double num(Object o) {
    return o instanceof Number n ? n.doubleValue() : null;
  }

  private static String ms(Object o) {
    Double v = num(o);
    return v == null ? "–" : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String ratio(Object meshfed, Object floor) {
    Double a = num(meshfed);
    Double b = num(floor);
    return a == null || b == null || b == 0 ? "–" : String.format(Locale.ROOT, "%.1f×", a / b);
  }

  private static String verdict(Double value, double target, boolean atMost, String unit) {
    if (value == null) {
      return "not measured";
    }
    boolean met = atMost ? value <= target : value >= target;
    if (met) {
      return "**met**";
    }
    double by = atMost ? value - target : target - value;
    if (value == 0) {
      return String.format(Locale.ROOT, "**missed** by %.1f %s", by, unit);
    }
    return String.format(Locale.ROOT, "**missed** by %.1f %s (%.1f×)", by, unit,
        atMost ? value / target : target / value);
  }

  static String markdown(Map<String, Object> r) {
    StringBuilder md = new StringBuilder();
    Map<String, Object> machine = map(r.get("machine"));
    md.append("# meshfed end-to-end benchmark (").append(r.get("mode")).append(" run)\n\n");
    md.append("Run ").append(r.get("started")).append(", ").append(r.get("wallSeconds"))
        .append(" s wall. Machine: ").append(machine.get("cores")).append(" cores (")
        .append(machine.get("cpu")).append("), ").append(machine.get("memTotal")).append(", ")
        .append(machine.get("java")).append(", max heap ").append(machine.get("maxHeapMb"))
        .append(" MB, ").append(machine.get("os")).append(". Kafka ")
        .append(machine.get("kafka")).append("; ").append(machine.get("registry"))
        .append(". Broker, registry, topology and load generator share the machine.\n\n");
    md.append("Command: `./meshfed bench").append("quick".equals(r.get("mode")) ? " --quick" : "")
        .append("`. Raw figures: `e2e.json`; CDF: `latency-cdf.png`.\n\n");

    md.append("## Decision latency vs the raw-Kafka floor\n\n");
    md.append("Agent-side send of an endpoint-health flip → `FailoverDecision` readable by a"
        + " read_committed consumer (decision), and → the `FederatedDestination` on the client"
        + " cluster's config topic (config). Floor: produce → 3 relay hops → consume, same"
        + " topics count, settings and rate, same run. Milliseconds.\n\n");
    md.append("| guarantee | events/s | n | decision p50 | p90 | p99 | p99.9 | config p50 | config"
        + " p99 | floor p50 | floor p99 | p50 vs floor | p99 vs floor |\n");
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    Map<String, Object> latency = map(r.get("latency"));
    Map<String, Object> floor = map(r.get("floor"));
    for (String g : List.of("at_least_once", "exactly_once_v2")) {
      for (var run : map(latency.get(g)).entrySet()) {
        Map<String, Object> m = map(run.getValue());
        Map<String, Object> d = map(m.get("decisionMs"));
        Map<String, Object> c = map(m.get("configMs"));
        Map<String, Object> f = map(map(map(floor.get(g)).get(run.getKey())).get("endToEndMs"));
        md.append(String.format(Locale.ROOT,
            "| %s | %s (achieved %s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            g, run.getKey(), m.get("achievedRate"), d.get("n"), ms(d.get("p50")), ms(d.get("p90")),
            ms(d.get("p99")), ms(d.get("p99.9")), ms(c.get("p50")), ms(c.get("p99")),
            ms(f.get("p50")), ms(f.get("p99")), ratio(d.get("p50"), f.get("p50")),
            ratio(d.get("p99"), f.get("p99"))));
      }
    }
    md.append("\n![latency CDF](latency-cdf.png)\n\n");

    Map<String, Object> alos1000 = map(map(map(latency.get("at_least_once")).get("1000"))
        .get("decisionMs"));
    Map<String, Object> eos1000 = map(map(map(latency.get("exactly_once_v2")).get("1000"))
        .get("decisionMs"));
    Map<String, Object> tput = map(r.get("throughput"));
    Map<String, Object> scale = map(r.get("scale"));
    Map<String, Object> failover = map(r.get("failover"));
    Map<String, Object> agent = map(r.get("agent"));
    Map<String, Object> heap = map(scale.get("heapUsedAfterGcMb"));

    md.append("## Targets\n\n| target | measured | verdict |\n|---|---|---|\n");
    row(md, "decision p50 ≤ 25 ms at 1,000 events/s, at-least-once", ms(alos1000.get("p50"))
        + " ms", verdict(num(alos1000.get("p50")), E2eBench.TARGET_ALOS_P50_MS, true, "ms"));
    row(md, "decision p99 ≤ 100 ms at 1,000 events/s, at-least-once", ms(alos1000.get("p99"))
        + " ms", verdict(num(alos1000.get("p99")), E2eBench.TARGET_ALOS_P99_MS, true, "ms"));
    row(md, "decision p99 ≤ 250 ms at 1,000 events/s, exactly_once_v2", ms(eos1000.get("p99"))
        + " ms", verdict(num(eos1000.get("p99")), E2eBench.TARGET_EOS_P99_MS, true, "ms"));
    row(md, "≥ 20,000 events/s held 60 s with p99 ≤ 1 s (exactly_once_v2)",
        tput.get("highestHeldRate") + " events/s", verdict(num(tput.get("highestHeldRate")),
            E2eBench.TARGET_THROUGHPUT, false, "events/s"));
    row(md, "1 M endpoints in ≤ 1 GB heap", scale.get("endpoints") + " endpoints, "
        + heap.get("topologyShare") + " MB live heap growth (JVM total " + heap.get("afterLoad")
        + " MB incl. broker; RSS " + scale.get("processRssMb") + " MB)",
        verdict(num(heap.get("topologyShare")), E2eBench.TARGET_HEAP_MB, true, "MB"));
    row(md, "cold restore ≤ 60 s", ms(scale.get("coldRestoreSeconds")) + " s",
        verdict(num(scale.get("coldRestoreSeconds")), E2eBench.TARGET_RESTORE_S, true, "s"));
    row(md, "instance killed → decisions resume ≤ 15 s", ms(failover.get("resumeSeconds"))
        + " s", verdict(num(failover.get("resumeSeconds")), E2eBench.TARGET_RESUME_S, true, "s"));
    Map<String, Object> apply = map(agent.get("applyLatencyPerObjectMs"));
    row(md, "agent apply p99 ≤ 250 ms per object", ms(apply.get("p99")) + " ms (p50 "
        + ms(apply.get("p50")) + ")", verdict(num(apply.get("p99")),
            E2eBench.TARGET_AGENT_P99_MS, true, "ms"));

    md.append("\n## Throughput steps (exactly_once_v2, ").append(tput.get("stepSeconds"))
        .append(" s each)\n\n| events/s | achieved | decision p50 | p99 | unmatched | held |\n"
            + "|---|---|---|---|---|---|\n");
    for (Object o : tput.get("steps") instanceof List<?> l ? l : List.of()) {
      Map<String, Object> step = map(o);
      Map<String, Object> d = map(step.get("decisionMs"));
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |\n",
          step.get("targetRate"), step.get("achievedRate"), ms(d.get("p50")), ms(d.get("p99")),
          step.get("unmatchedDecisions"), step.get("held")));
    }
    Map<String, Object> profile = map(tput.get("profile"));
    md.append("\nCPU profile of the throughput section (JFR execution samples, ")
        .append(profile.get("samples")).append(" samples). By thread: ")
        .append(profile.get("byThread")).append(". Hottest frames: ")
        .append(profile.get("topFrames")).append(".\n\n");

    md.append("## Scale\n\n").append(scale.get("clusters")).append(" clusters, ")
        .append(scale.get("services")).append(" services, ").append(scale.get("endpoints"))
        .append(" endpoints, ").append(scale.get("destinations")).append(" destinations (")
        .append(scale.get("expectedConfigs")).append(" client configs): loaded in ")
        .append(scale.get("loadSeconds")).append(" s (")
        .append(scale.get("configsWritten")).append(" configs written; input sent in ")
        .append(scale.get("sendSeconds")).append(" s). State stores on disk: ")
        .append(String.format(Locale.ROOT, "%.1f MB",
            num(scale.get("stateStoreBytesOnDisk")) == null ? 0
                : num(scale.get("stateStoreBytesOnDisk")) / 1e6))
        .append(". Cold restore from changelogs (new instance, empty state directory, until every"
            + " store is restored): ").append(scale.get("coldRestoreSeconds")).append(" s, ")
        .append(scale.get("restoredRecords")).append(" records. ").append(scale.get("note"))
        .append(".\n\n");
    md.append("## Recovery and agent\n\nKill: ").append(failover.get("instances"))
        .append(" instances, one closed without leaving the group at a third of the run;"
            + " decision latency over the run ").append(failover.get("decisionMs"))
        .append(" ms; the maximum (").append(failover.get("resumeSeconds"))
        .append(" s) is the time decisions of the killed instance's partitions waited.\n\n");
    md.append("Agent (fabric8 mock API server, in-process): apply per object p50 ")
        .append(ms(apply.get("p50"))).append(" ms, p99 ").append(ms(apply.get("p99")))
        .append(" ms; ").append(agent.get("objects")).append(" objects applied from scratch in ")
        .append(agent.get("initialApplySeconds")).append(" s, resynced after a restart in ")
        .append(agent.get("resyncSeconds")).append(" s with ")
        .append(agent.get("resyncRequestsBeyondOneListPerKind")).append(" writes.\n");
    return md.toString();
  }

  private static void row(StringBuilder md, String target, String measured, String verdict) {
    md.append("| ").append(target).append(" | ").append(measured).append(" | ").append(verdict)
        .append(" |\n");
  }
}
