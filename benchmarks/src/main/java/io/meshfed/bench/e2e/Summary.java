package io.meshfed.bench.e2e;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Markdown summary of a run: every figure comes from the results map of that run, with the
 * ratio to the floor beside each latency and a verdict against each target of issues #8 and #13.
 */
final class Summary {

  private Summary() {}

  /**
   * Renders a run's SUMMARY.md again from its e2e.json, beside it, without re-running anything:
   * {@code java -cp benchmarks/target/benchmarks.jar io.meshfed.bench.e2e.Summary
   * bench/results/e2e.json}. For a change to how a summary is written, not to what is measured.
   */
  public static void main(String[] args) throws java.io.IOException {
    if (args.length != 1) {
      System.err.println("usage: Summary E2E_JSON  (writes SUMMARY.md beside it)");
      System.exit(2);
    }
    java.nio.file.Path json = java.nio.file.Path.of(args[0]);
    Map<String, Object> results = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
        json.toFile(), new com.fasterxml.jackson.core.type.TypeReference<>() {});
    java.nio.file.Path md = json.toAbsolutePath().resolveSibling("SUMMARY.md");
    java.nio.file.Files.writeString(md, markdown(results));
    System.out.println("wrote " + md);
  }

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

  private static String warmupText(Map<String, Object> r) {
    List<String> parts = new java.util.ArrayList<>();
    for (String g : List.of("at_least_once", "exactly_once_v2")) {
      Map<String, Object> w = map(map(latency0(r).get("warmup")).get(g));
      if (!w.isEmpty()) {
        parts.add(g + " " + w.get("seconds") + " s (" + w.get("rounds") + " rounds"
            + (Boolean.TRUE.equals(w.get("settled")) ? "" : ", not settled") + ")");
      }
    }
    return String.join(", ", parts);
  }

  private static Map<String, Object> latency0(Map<String, Object> r) {
    return map(r.get("latency"));
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
        + " cluster's config topic (config). Floor: produce → " + RawChain.HOPS
        + " relay hops → consume (the hops of an agent's event), same topics count, settings"
        + " and rate, same run. Milliseconds. Before the recorded runs,"
        + " each guarantee's topology gets an unrecorded warm-up at ")
        .append(map(latency0(r).get("warmup")).get("flipsPerSecond"))
        .append(" flips/s, in rounds of ")
        .append(map(latency0(r).get("warmup")).get("roundSeconds"))
        .append(" s until the JIT settles (a round's compiler time at most ")
        .append(Math.round(100 * num(map(latency0(r).get("warmup"))
            .get("settledBelowCompilerShare"))))
        .append(" % of a core, each round drained before the next): ").append(warmupText(r))
        .append(". Each step starts with every earlier flip decided.\n\n");
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

    Map<String, Object> zone = map(r.get("zone-outage"));
    for (String phase : List.of("outage", "recovery")) {
      Map<String, Object> p = map(zone.get(phase));
      row(md, "zone " + phase + ": every affected client config written ≤ 10 s (p100)",
          p.isEmpty() ? String.valueOf(zone.getOrDefault("result", "not measured"))
              : p.get("configsReached") + " of " + p.get("affectedConfigs") + " configs ("
                  + p.get("configsReachedWithinTarget") + " within 10 s), p100 "
                  + (p.get("p100Seconds") == null ? "not reached in " + p.get("waitedSeconds")
                      : ms(p.get("p100Seconds"))) + " s",
          p.isEmpty() ? "not measured" : p.get("p100Seconds") == null
              ? "**missed** (" + p.get("result") + ")"
              : verdict(num(p.get("p100Seconds")), ZoneOutage.TARGET_SECONDS, true, "s"));
    }
    Map<String, Object> fss = map(r.get("fleet-steady-state"));
    Double quietCpu = num(map(map(fss.get("quietCpu")).get("percentOfOneCore"))
        .get(ThreadCpu.TOPOLOGY));
    row(md, "topology CPU ≤ 10 % of one core outside the resync minute (" + fss.get("endpoints")
        + " endpoints, heartbeats every " + fss.get("heartbeatSeconds") + " s)",
        quietCpu == null ? String.valueOf(fss.getOrDefault("result", "not measured"))
            : ms(quietCpu) + " % (broker " + ms(map(map(fss.get("quietCpu"))
                .get("percentOfOneCore")).get(ThreadCpu.OTHER_JAVA)) + " %)",
        verdict(quietCpu, FleetSteadyState.TARGET_QUIET_CPU_PERCENT, true, "%"));
    Map<String, Object> probe = map(map(fss.get("probeDuringResync")).get("decisionMs"));
    row(md, "decision p99 ≤ 100 ms at 10 flips/s during a full-fleet resync, at-least-once",
        probe.isEmpty() ? String.valueOf(fss.getOrDefault("result", "not measured"))
            : ms(probe.get("p99")) + " ms (p50 " + ms(probe.get("p50")) + ")",
        verdict(num(probe.get("p99")), FleetSteadyState.TARGET_PROBE_P99_MS, true, "ms"));

    md.append(security(map(r.get("security"))));
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
    for (String floorKey : List.of("floorAtTarget", "productFloorAtTarget")) {
      floorAtTarget(md, map(tput.get(floorKey)));
    }
    md.append(engineBudget(num(machine.get("cores")), tput));
    md.append("\nThe engine's CPU per flip at each step is in `e2e.json`"
        + " (`throughput.steps[].cpuMicrosPerFlip`).\n");
    Map<String, Object> profile = map(tput.get("profile"));
    md.append("\nCPU profile of the throughput section (JFR execution samples, ")
        .append(profile.get("samples")).append(" samples, recorded over ")
        .append(profile.get("windowSeconds")).append(" s at ")
        .append(profile.get("flipsPerSecond")).append(" flips/s after the steps, which ran"
            + " without it). By thread: ")
        .append(profile.get("byThread")).append(". Hottest frames: ")
        .append(profile.get("topFrames")).append(".");
    Map<String, Object> streamThread = map(profile.get("streamThread"));
    if (!streamThread.isEmpty()) {
      // Whole stacks: what a leaf frame cannot say (which stage, which kind of work paid).
      md.append(" The stream thread's ").append(streamThread.get("samples"))
          .append(" samples on their whole stacks (").append(streamThread.get("truncatedStacks"))
          .append(" cut at JFR's depth), by stage: ").append(streamThread.get("byStage"))
          .append("; by work: ").append(streamThread.get("byWork")).append(".");
    }
    md.append("\n\n");

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
    md.append(zoneOutage(zone)).append(fleetSteadyState(fss))
        .append(mirrored(map(r.get("mirrored"))));
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

  /** Two regions through MirrorMaker 2 beside one region, same topology, same run. */
  static String mirrored(Map<String, Object> m) {
    StringBuilder md = new StringBuilder("## Two regions through MirrorMaker 2\n\n");
    if (m.isEmpty()) {
      return md.append("Not run.\n\n").toString();
    }
    md.append("One topology (").append(m.get("guarantee")).append(") at the hub, ")
        .append(m.get("flipsPerSecond")).append(" flips/s for ").append(m.get("seconds"))
        .append(" s over ").append(m.get("services")).append(" destinations, first from agents"
            + " on the hub's Kafka, then from agents on a standby region's Kafka whose events"
            + " reach the hub and whose configs come back through MirrorMaker 2 (identity"
            + " replication, in-process, both brokers on this machine: what is measured is"
            + " MM2's own cost, no distance between regions).\n\n");
    md.append("| agent's region | decision p50 / p99 / max (ms) | config p50 / p99 / max (ms)"
        + " | achieved rate | unmatched decisions |\n|---|---|---|---|---|\n");
    for (String k : java.util.List.of("singleRegion", "mirrored")) {
      Map<String, Object> run = map(m.get(k));
      Map<String, Object> d = map(run.get("decisionMs"));
      Map<String, Object> c = map(run.get("configMs"));
      md.append("| ").append(k.equals("mirrored") ? "standby (through MM2)" : "hub (one region)")
          .append(" | ").append(ms(d.get("p50"))).append(" / ").append(ms(d.get("p99")))
          .append(" / ").append(ms(d.get("max"))).append(" | ").append(ms(c.get("p50")))
          .append(" / ").append(ms(c.get("p99"))).append(" / ").append(ms(c.get("max")))
          .append(" | ").append(run.get("achievedRate")).append("/s | ")
          .append(run.get("unmatchedDecisions")).append(" |\n");
    }
    return md.append("\nThe decision crosses one MM2 hop (events standby → hub), the config two"
        + " (and back).\n\n").toString();
  }

  /** Decision latency on the open and on the secured broker, measured in the same section. */
  static String security(Map<String, Object> s) {
    StringBuilder md = new StringBuilder("\n## Security cost\n\n");
    if (s.isEmpty()) {
      return md.append("Not run.\n").toString();
    }
    md.append("Decision latency (ms) on an open broker and on a secured one, measured one after"
        + " the other in this section: ").append(s.get("guarantee")).append(", ")
        .append(s.get("services")).append(" services on 2 clusters. Secured: ")
        .append(s.get("note")).append(".\n\n")
        .append("| broker | events/s | n | decision p50 | p90 | p99 | p99.9 | config p50 | config"
            + " p99 |\n|---|---|---|---|---|---|---|---|---|\n");
    for (String mode : List.of("open", "sasl_scram")) {
      Map<String, Object> m = map(s.get(mode));
      Map<String, Object> d = map(m.get("decisionMs"));
      Map<String, Object> c = map(m.get("configMs"));
      md.append(String.format(Locale.ROOT,
          "| %s | %s (achieved %s) | %s | %s | %s | %s | %s | %s | %s |\n",
          mode.equals("open") ? "open" : "SASL SCRAM + ACLs", m.get("targetRate"),
          m.get("achievedRate"), d.get("n"), ms(d.get("p50")), ms(d.get("p90")),
          ms(d.get("p99")), ms(d.get("p99.9")), ms(c.get("p50")), ms(c.get("p99"))));
    }
    Map<String, Object> open = map(map(s.get("open")).get("decisionMs"));
    Map<String, Object> secured = map(map(s.get("sasl_scram")).get("decisionMs"));
    md.append("\nSecured vs open: p50 ").append(ratio(secured.get("p50"), open.get("p50")))
        .append(", p99 ").append(ratio(secured.get("p99"), open.get("p99"))).append(".\n");
    return md.toString();
  }

  private static String zoneOutage(Map<String, Object> z) {
    StringBuilder md = new StringBuilder("## Zone outage\n\n");
    if (z.isEmpty()) {
      return md.append("Not run.\n\n").toString();
    }
    md.append(z.get("clusters")).append(" clusters × ").append(z.get("zonesPerCluster"))
        .append(" zones of one region, ").append(z.get("destinations"))
        .append(" FailoverServices (").append(z.get("tiersPerDestination"))
        .append(" tiers on 3 clusters each) visible to every cluster: ")
        .append(z.get("clientConfigs")).append(" client configs, ").append(z.get("endpoints"))
        .append(" endpoints, loaded in ").append(z.get("loadSeconds")).append(" s; ")
        .append(z.get("guarantee")).append(", failback damping ").append(z.get("failbackDamping"))
        .append(". Outage: every service's endpoints in one zone (a third) sent not ready within"
            + " the send time shown; recovery: sent ready again. Time from the first send until"
            + " every config whose content must change (computed by the rules from the fleet) is"
            + " read back, read_committed, with exactly the expected tiers and weights.\n\n")
        .append("| phase | snapshots sent | send ms | affected configs | reached | within 10 s |"
            + " config records seen | unaffected written | first ms | p50 ms | p99 ms | p100 s |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (String phase : List.of("outage", "recovery")) {
      Map<String, Object> p = map(z.get(phase));
      md.append(String.format(Locale.ROOT,
          "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", phase,
          p.get("endpointSnapshotsSent"), p.get("sendMs"), p.get("affectedConfigs"),
          p.get("configsReached"), p.get("configsReachedWithinTarget"),
          p.get("configRecordsSeen"), p.get("unaffectedConfigsWritten"),
          p.get("firstMs"), p.get("p50Ms"), p.get("p99Ms"),
          p.get("p100Seconds") == null ? p.get("result") : p.get("p100Seconds")));
    }
    return md.append("\nResult: ").append(z.get("result")).append(".\n\n").toString();
  }

  private static String fleetSteadyState(Map<String, Object> f) {
    StringBuilder md = new StringBuilder("## Fleet steady state\n\n");
    if (f.isEmpty()) {
      return md.append("Not run.\n\n").toString();
    }
    md.append(f.get("clusters")).append(" agents (clusters) × ")
        .append(f.get("servicesPerCluster"))
        .append(" services × ").append(f.get("endpointsPerService")).append(" endpoints (")
        .append(f.get("endpoints")).append(" endpoints), ").append(f.get("destinations"))
        .append(" FailoverServices (").append(f.get("clientConfigs"))
        .append(" client configs), ").append(f.get("guarantee")).append("; loaded in ")
        .append(f.get("loadSeconds")).append(" s. CPU of this process's threads by owner, % of"
            + " one core (thread CPU time, ThreadMXBean; topology = threads named with its"
            + " application id; JVM internal = process total from /proc minus Java threads)."
            + " Quiet: heartbeats every ").append(f.get("heartbeatSeconds"))
        .append(" s only. Resync: every agent re-sends all its ServiceSnapshots and"
            + " EndpointSnapshots, unchanged, spread over the window.\n\n");
    md.append("| window | s | topology | broker and other Java | benchmark | JVM internal |"
        + " process |\n|---|---|---|---|---|---|---|\n");
    for (String w : List.of("quietCpu", "resyncCpu", "afterResyncCpu")) {
      Map<String, Object> c = map(f.get(w));
      Map<String, Object> p = map(c.get("percentOfOneCore"));
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |\n",
          w.replace("Cpu", ""), c.get("windowSeconds"), p.get(ThreadCpu.TOPOLOGY),
          p.get(ThreadCpu.OTHER_JAVA), p.get(ThreadCpu.BENCH), p.get(ThreadCpu.JVM),
          p.get(ThreadCpu.TOTAL)));
    }
    Map<String, Object> probe = map(f.get("probeDuringResync"));
    Map<String, Object> d = map(probe.get("decisionMs"));
    md.append("\nRecords appended to the broker's topics in the quiet window: ")
        .append(map(f.get("quietCpu")).get("recordsAppended")).append("; in the resync window"
            + " (read once the probe's last answers were in, so it includes the topology catching"
            + " up;"
            + " the probe's flips are in it): ")
        .append(map(f.get("resyncCpu")).get("recordsAppended")).append(".\n");
    md.append("\nTopology threads in the quiet window: ")
        .append(map(f.get("quietCpu")).get("topologyThreadsPercentOfOneCore"))
        .append("; in the resync window: ")
        .append(map(f.get("resyncCpu")).get("topologyThreadsPercentOfOneCore"))
        .append(". Probe during the resync (").append(probe.get("targetRate"))
        .append(" flips/s, own 2-cluster fleet on the same topology): decision p50 ")
        .append(ms(d.get("p50"))).append(" ms, p99 ").append(ms(d.get("p99")))
        .append(" ms, max ").append(ms(d.get("max"))).append(" ms, n ").append(d.get("n"))
        .append(", unmatched ").append(probe.get("unmatchedDecisions")).append(". Result: ")
        .append(f.get("result")).append(".\n\n");
    return md.toString();
  }

  /** One raw-Kafka floor run at the throughput target, as a paragraph under the steps. */
  private static void floorAtTarget(StringBuilder md, Map<String, Object> floor) {
    if (floor.isEmpty()) {
      return;
    }
    Map<String, Object> f = map(floor.get("endToEndMs"));
    md.append(String.format(Locale.ROOT, "\nThe raw-Kafka floor at %s events/s in the same run"
        + " (after the topology closed; %s): achieved %s/s, p50 %s, p99 %s ms, %s not arrived"
        + " → %s. CPU per event (µs, by owner): %s.\n",
        floor.get("targetRate"), floor.get("note"), floor.get("achievedRate"),
        ms(f.get("p50")), ms(f.get("p99")), floor.get("notArrived"),
        Boolean.TRUE.equals(floor.get("held")) ? "held" : "not held",
        floor.get("cpuMicrosPerEvent")));
  }

  /**
   * What the machine leaves the engine at the throughput target, from the same run: the cores'
   * microseconds per event at the product floor's rate, less what the product floor (Kafka
   * carrying a flip's four product records, no engine) took per event; beside it, what the
   * engine added over that floor per flip at its last step (the first not held, or the highest
   * measured), by owner. Empty when either figure is missing (a quick run's floors are not at
   * the target).
   */
  static String engineBudget(Double cores, Map<String, Object> tput) {
    Map<String, Object> floor = map(tput.get("productFloorAtTarget"));
    Map<String, Object> floorCpu = map(floor.get("cpuMicrosPerEvent"));
    List<?> steps = tput.get("steps") instanceof List<?> l ? l : List.of();
    Double rate = num(floor.get("targetRate"));
    Double floorTotal = num(floorCpu.get(ThreadCpu.TOTAL));
    if (cores == null || rate == null || rate != E2eBench.TARGET_THROUGHPUT
        || floorTotal == null || steps.isEmpty()) {
      return "";
    }
    Map<String, Object> last = map(steps.get(steps.size() - 1));
    Map<String, Object> engineCpu = map(last.get("cpuMicrosPerFlip"));
    Double engineTotal = num(engineCpu.get(ThreadCpu.TOTAL));
    if (engineTotal == null) {
      return "";
    }
    double available = cores * 1e6 / rate;
    double left = available - floorTotal;
    double added = engineTotal - floorTotal;
    List<String> byOwner = new java.util.ArrayList<>();
    for (String owner : List.of(ThreadCpu.TOPOLOGY, ThreadCpu.BENCH, ThreadCpu.OTHER_JAVA,
        ThreadCpu.JVM)) {
      Double e = num(engineCpu.get(owner));
      Double f = num(floorCpu.get(owner));
      if (e != null && f != null) {
        byOwner.add(String.format(Locale.ROOT, "%s %+.1f", owner, e - f));
      }
    }
    return String.format(Locale.ROOT, "\n**What this machine leaves the engine at %,.0f"
        + " events/s**: %.0f cores are %.1f µs of CPU per event; the product floor took %.1f,"
        + " so an engine may add at most %.1f µs per flip to what Kafka, the load and the readers"
        + " cost. At %s flips/s the engine added %.1f µs per flip over the product floor (%s),"
        + " %.0f× that budget.\n", rate, cores, available, floorTotal, left, last.get("targetRate"),
        added, String.join(", ", byOwner), left > 0 ? added / left : Double.POSITIVE_INFINITY);
  }

  private static void row(StringBuilder md, String target, String measured, String verdict) {
    md.append("| ").append(target).append(" | ").append(measured).append(" | ").append(verdict)
        .append(" |\n");
  }
}
