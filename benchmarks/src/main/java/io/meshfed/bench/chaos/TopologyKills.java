package io.meshfed.bench.chaos;

import io.meshfed.bench.chaos.ChaosSuite.Env;
import io.meshfed.testing.ExitWithParent;
import io.meshfed.topology.Bookinfo;
import io.meshfed.topology.TopologyMain;
import io.meshfed.topology.recovery.RedundancyWatch;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Fault class b: topology instances as separate JVMs (TopologyMain, the class a deployment
 * runs), one of them killed with SIGKILL at a time under a steady load of flips, and started
 * again on the same state directory. Each kill is followed at once by a flip; the time until its
 * decisions are visible is that kill's recovery ("decisions resume after kill -9 of one of n
 * instances", the figure issue #21 bounds at 5 s for n = 2). A kill comes only once every
 * instance holds tasks in a group stable for 2 s, and takes the instance that reads the flips,
 * so that each one measures a takeover rather than a member still joining or one off the
 * flips' path. Then the scale cycles: an extra instance started (scale out: tasks move to it)
 * and, once it holds tasks, stopped with SIGTERM (scale in: it leaves the group, its tasks move
 * back), a flip after each move. Every flip must be decided exactly once per
 * client (epochs 1..n, read_committed) and the end state must be the oracle's.
 */
final class TopologyKills {

  private final Env env;
  private final ChaosSuite.Sizes sizes;
  private final Path agentJar;

  TopologyKills(Env env, ChaosSuite.Sizes sizes) throws IOException {
    this.env = env;
    this.sizes = sizes;
    this.agentJar = ExitWithParent.agentJar(env.work);
  }

  static final String GROUP = "chaos-topology";
  /** Scale cycles ({@code --scale-cycles N}): 10 in a full run, none in the quick one. */
  static final String SCALE_CYCLES_PROPERTY = "meshfed.chaos.scaleCycles";

  private int scaleCycles() {
    return Integer.getInteger(SCALE_CYCLES_PROPERTY, sizes.quick() ? 0 : 10);
  }

  FaultResult run() throws Exception {
    FaultResult r = new FaultResult("topology-kill");
    int n = sizes.topologyInstances();
    List<Process> instances = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try (Observer observer = new Observer(env.bootstrap(), env.registryClient)) {
      for (int i = 0; i < n; i++) {
        logs.add(env.work.resolve("topology-" + i + ".log"));
        instances.add(start(i, logs.get(i)));
      }
      env.world();
      // The kills start once the instances decide: three JVM starts and a rebalance took over
      // 240 s on a machine at load ~100 (2 cores).
      boolean reached = env.awaitOracle(observer, true,
          Duration.ofSeconds(sizes.quick() ? 240 : 600));
      if (!reached) {
        r.findings.add("The initial world never reached the oracle: "
            + Env.oracleDiff(observer, true));
      }
      int expected = Env.initialDecisions(r, observer, reached);
      boolean ready = true;
      double maxRecovery = 0;
      List<String> recoveries = new ArrayList<>();
      for (int k = 0; k < sizes.kills(); k++) {
        for (int f = 0; f < sizes.flipsBetweenKills(); f++) {
          ready = !ready;
          env.flip(ready);
          expected += 2;
          // One flip at a time: the decide stage coalesces what one batch holds (a flip and
          // its reverse decide nothing), and this class counts two decisions per flip.
          Env.awaitDecisions(observer, expected, Duration.ofSeconds(60));
        }
        boolean settled = awaitEveryInstanceHoldsTasks(n, Duration.ofSeconds(120))
            // and every instance a warm spare: a restarted one has rebuilt the stores the last
            // kill left without a checkpoint, so this kill measures one fault, not two.
            && awaitEveryInstanceCaughtUp(logs.subList(0, n), Duration.ofSeconds(120));
        // The instance that reads the flips (mgmt-cluster's events partition): killing it is
        // what stops decisions; killing one off the flips' path would measure nothing.
        int victim = readerOfFlips(logs).orElse(k % n);
        Process dead = instances.get(victim);
        dead.destroyForcibly(); // SIGKILL: no close, no commit, no leaving the group
        dead.waitFor();
        long killedAt = System.nanoTime();
        ready = !ready;
        env.flip(ready);
        expected += 2;
        int target = expected;
        Env.awaitDecisions(observer, target, Duration.ofSeconds(180));
        double recovery = (System.nanoTime() - killedAt) / 1e9;
        recoveries.add(String.format(java.util.Locale.ROOT, "%.1f", recovery));
        r.recoverySeconds.add(recovery);
        // Wall-clock time of the kill, to match against the instances' logs (their state
        // changes carry timestamps): where the seconds went.
        System.out.printf(java.util.Locale.ROOT, "topology-kill: kill %d of instance %d at %s"
            + "%s; decisions resumed after %.1f s%n", k + 1, victim,
            java.time.LocalTime.now().minusNanos(System.nanoTime() - killedAt),
            settled ? "" : " (group not settled before it)", recovery);
        if (!settled) {
          r.findings.add("Kill " + (k + 1) + " came before every instance held tasks with its"
              + " stores caught up (not within 120 s each).");
        }
        maxRecovery = Math.max(maxRecovery, recovery);
        instances.set(victim, start(victim, logs.get(victim)));
      }
      List<String> scaleSeconds = new ArrayList<>();
      for (int c = 0; c < scaleCycles(); c++) {
        // Scale out: an instance n+1 joins; the flip after the group settles is decided by
        // whichever instance now holds its path.
        Path extraLog = env.work.resolve("topology-" + n + ".log");
        if (c == 0) {
          logs.add(extraLog);
        }
        Process extra = start(n, extraLog);
        instances.add(extra);
        long joinedAt = System.nanoTime();
        boolean settled = awaitEveryInstanceHoldsTasks(n + 1, Duration.ofSeconds(180));
        double join = (System.nanoTime() - joinedAt) / 1e9;
        ready = !ready;
        env.flip(ready);
        expected += 2;
        Env.awaitDecisions(observer, expected, Duration.ofSeconds(180));
        // Scale in: SIGTERM, as a deployment's scale-down sends; the instance leaves the group
        // (TopologyMain's shutdown hook), and the flip right after it measures the handover.
        extra.destroy();
        long stoppedAt = System.nanoTime();
        ready = !ready;
        env.flip(ready);
        expected += 2;
        Env.awaitDecisions(observer, expected, Duration.ofSeconds(180));
        double handover = (System.nanoTime() - stoppedAt) / 1e9;
        if (!extra.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
          r.findings.add("Scale cycle " + (c + 1) + ": the stopped instance did not exit within"
              + " 60 s of SIGTERM.");
          extra.destroyForcibly();
          extra.waitFor();
        }
        instances.remove(extra);
        if (!settled) {
          r.findings.add("Scale cycle " + (c + 1) + ": the group did not settle with the extra"
              + " instance holding tasks within 180 s.");
        }
        scaleSeconds.add(String.format(java.util.Locale.ROOT, "%.1f/%.1f", join, handover));
        maxRecovery = Math.max(maxRecovery, handover);
        System.out.printf(java.util.Locale.ROOT, "topology-kill: scale cycle %d: the extra"
            + " instance held tasks after %.1f s; after its SIGTERM decisions resumed in %.1f s%n",
            c + 1, join, handover);
      }
      if (!scaleSeconds.isEmpty()) {
        r.findings.add("Scale cycles (seconds until the extra instance held tasks / from its"
            + " SIGTERM to the next flip's decisions): " + scaleSeconds + ".");
      }
      r.injectedCount = sizes.kills() + scaleCycles();
      r.injected = sizes.kills() + " kill -9 of " + n + " topology JVMs"
          + (scaleCycles() == 0 ? "" : ", " + scaleCycles() + " scale cycles " + n + " → "
              + (n + 1) + " → " + n) + ", " + ((expected - 2) / 2) + " flips";
      boolean finalReady = ready;
      env.conclude(r, observer, finalReady, expected);
      r.maxRecoverySeconds = maxRecovery;
      r.recoveryMeasure = "decisions resume after kill -9 of one of " + n + " instances"
          + (scaleCycles() == 0 ? "" : " or a scale-in") + ", max over " + sizes.kills()
          + " kill" + (sizes.kills() == 1 ? "" : "s")
          + (scaleCycles() == 0 ? "" : " and " + scaleCycles() + " scale cycles");
      r.findings.add("Seconds from each kill to the next flip's decisions being visible: "
          + recoveries + ".");
      long deaths = 0;
      long fenced = 0;
      for (Path log : logs) {
        if (Files.exists(log)) {
          for (String line : Files.readAllLines(log)) {
            deaths += line.contains("stream thread died") ? 1 : 0;
            fenced += line.contains("aborted the open transaction(s) of a departed instance")
                ? 1 : 0;
          }
        }
      }
      r.threadDeaths = deaths;
      // How often a kill left a transaction open that the survivors aborted at once
      // (OrphanTransactionFencer) instead of waiting for its timeout.
      r.findings.add("Open transactions of killed instances aborted by the survivors' fencer: "
          + fenced + ".");
    } finally {
      for (Process p : instances) {
        p.destroyForcibly();
        p.waitFor();
      }
    }
    return r;
  }

  /**
   * Waits until the group is stable (for 2 s) with {@code n} members, each assigned partitions:
   * a kill then takes tasks from a working instance. False if that did not happen within {@code
   * timeout} (the kill goes ahead, and the finding says so).
   */
  private boolean awaitEveryInstanceHoldsTasks(int n, Duration timeout) {
    try (var admin = env.admin()) {
      // Stable for 2 s: Streams follows a member's return with rebalances of its own (tasks
      // warmed up elsewhere move back), and a kill inside one measures that rebalance too.
      org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(200))
          .during(Duration.ofSeconds(2)).ignoreExceptions().until(() -> {
            var group = admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
            return group.groupState() == org.apache.kafka.common.GroupState.STABLE
                && group.members().size() == n && group.members().stream()
                    .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
          });
      return true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return false;
    }
  }

  private static final java.util.regex.Pattern HOLDS = java.util.regex.Pattern.compile(
      java.util.regex.Pattern.quote(RedundancyWatch.CAUGHT_UP)
          + " \\((\\d+) active and (\\d+) standby tasks");

  /**
   * Every instance has said, since its last move to RUNNING, that its stores (active and
   * standby) caught up with their changelogs ({@code RedundancyWatch}, in its log), and between
   * them they hold a standby for every active task (Streams may place standbys in a rebalance
   * after the first; a survivor without the standby restores the task from scratch).
   */
  private static boolean awaitEveryInstanceCaughtUp(List<Path> logs, Duration timeout) {
    try {
      org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(250))
          .ignoreExceptions().until(() -> {
            int active = 0;
            int standby = 0;
            for (Path log : logs) {
              String text = Files.readString(log);
              int running = text.lastIndexOf("-> RUNNING");
              int caughtUp = text.lastIndexOf(RedundancyWatch.CAUGHT_UP);
              if (running < 0 || caughtUp < running) {
                return false;
              }
              java.util.regex.Matcher m = HOLDS.matcher(text);
              if (!m.find(caughtUp)) {
                return false;
              }
              active += Integer.parseInt(m.group(1));
              standby += Integer.parseInt(m.group(2));
            }
            return active > 0 && standby >= active;
          });
      return true;
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      return false;
    }
  }

  /**
   * Which instance's consumer holds the partition of mgmt-cluster's events topic the flips are
   * written to (the agent partitions them by service, {@code EventPartitioner}), by its Streams
   * process id: the member's client id carries it, and the instance's log (thread names) too.
   */
  private java.util.Optional<Integer> readerOfFlips(List<Path> logs) {
    String topic = "meshfed.cluster." + Bookinfo.MGMT + ".events";
    try (var admin = env.admin()) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().size();
      int flips = io.meshfed.topics.EventPartitioner.partitionOf(
          Bookinfo.reviewsEndpoints(Bookinfo.MGMT, true).key, partitions);
      var group = admin.describeConsumerGroups(List.of(GROUP)).all().get().get(GROUP);
      for (var member : group.members()) {
        boolean reads = member.assignment().topicPartitions().stream()
            .anyMatch(tp -> tp.topic().equals(topic) && tp.partition() == flips);
        String client = member.clientId();
        int thread = client.indexOf("-StreamThread-");
        if (!reads || thread < 0) {
          continue;
        }
        String process = client.substring(0, thread);
        for (int i = 0; i < logs.size(); i++) {
          // Its own threads' names: another instance's log can name the process too (the
          // fencer's line about a departed instance's transactions).
          if (Files.exists(logs.get(i))
              && Files.readString(logs.get(i)).contains(process + "-StreamThread-")) {
            return java.util.Optional.of(i);
          }
        }
      }
    } catch (Exception e) {
      // Not known: the kill alternates instead.
    }
    return java.util.Optional.empty();
  }

  /** One topology instance as its own JVM; it dies with this one (ExitWithParent). */
  private Process start(int index, Path log) throws IOException {
    Path dir = env.work.resolve("topology-" + index);
    Files.createDirectories(dir);
    Properties props = new Properties();
    props.setProperty("meshfed.bootstrap.servers", env.topologyBootstrap);
    props.setProperty("meshfed.registry.url", env.registry.confluentApiUrl());
    props.setProperty("meshfed.registry.auto.register", "true");
    props.setProperty("meshfed.application.id", GROUP);
    props.setProperty("meshfed.state.dir", dir.resolve("state").toString());
    props.setProperty("meshfed.policy.source.clusters", Bookinfo.MGMT);
    props.setProperty("meshfed.heartbeat.ttl.ms", "30000");
    props.setProperty("meshfed.min.healthy.duration.ms", "0");
    props.setProperty("meshfed.punctuate.interval.ms", "200");
    // No session set, as a deployment would leave it: the instances agree 2.5 s with the suite's
    // broker (it accepts sessions from 1 s), and the takeover measured is the default's.
    Path file = dir.resolve("topology.properties");
    try (OutputStream out = Files.newOutputStream(file)) {
      props.store(out, "chaos topology instance " + index);
    }
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-javaagent:" + agentJar,
        "-cp", System.getProperty("java.class.path"),
        TopologyMain.class.getName(), file.toString());
    // Standard input stays a pipe from this JVM: ExitWithParent ends the child when it closes.
    return new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
  }
}
