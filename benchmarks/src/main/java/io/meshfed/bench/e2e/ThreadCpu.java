package io.meshfed.bench.e2e;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time of this process's threads, grouped by who they work for, over a window: the topology
 * (every thread whose name carries its Streams application id: stream threads, the state
 * updater, its producers' and consumers' I/O threads, its admin client), the benchmark's own
 * load generators and readers (threads and clients named {@code bench-...}, {@code main}), and
 * everything else in Java, which in this process is the in-process broker (plus the registry
 * client's HTTP threads). JVM-internal threads (GC, JIT compilers) are not Java threads; their
 * CPU is the process total from {@code /proc/self/stat} minus the Java threads'.
 *
 * <p>Per-thread CPU comes from {@link ThreadMXBean#getThreadCpuTime} (user + system, the same
 * clock as {@code utime+stime} in {@code /proc/self/task/TID/stat}) because the kernel's thread
 * name ({@code comm}) is cut to 15 characters and cannot tell a stream thread from another. A
 * thread that ends inside the window loses its CPU of the window; the topology's threads live
 * for the whole run.
 */
final class ThreadCpu {

  static final String TOPOLOGY = "topology";
  static final String BENCH = "benchmark load/readers";
  static final String OTHER_JAVA = "broker and other Java threads";
  static final String JVM = "JVM internal (GC, JIT)";
  /** The whole process ({@code /proc/self/stat}): every owner above and native threads. */
  static final String TOTAL = "process total";

  /** One reading: CPU nanoseconds per live Java thread id, their names, and the process total. */
  record Snapshot(long at, Map<Long, Long> cpu, Map<Long, String> names, long processNanos) {}

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final String applicationId;

  ThreadCpu(String applicationId) {
    this.applicationId = applicationId;
    if (THREADS.isThreadCpuTimeSupported() && !THREADS.isThreadCpuTimeEnabled()) {
      THREADS.setThreadCpuTimeEnabled(true);
    }
  }

  static Snapshot snapshot() {
    long[] ids = THREADS.getAllThreadIds();
    ThreadInfo[] infos = THREADS.getThreadInfo(ids);
    Map<Long, Long> cpu = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    for (int i = 0; i < ids.length; i++) {
      long t = THREADS.getThreadCpuTime(ids[i]);
      if (t >= 0 && infos[i] != null) {
        cpu.put(ids[i], t);
        names.put(ids[i], infos[i].getThreadName());
      }
    }
    return new Snapshot(System.nanoTime(), cpu, names, processCpuNanos());
  }

  String group(String threadName) {
    if (threadName.contains(applicationId)) {
      return TOPOLOGY;
    }
    if (threadName.startsWith("main") || threadName.contains("bench-")
        || threadName.startsWith("latency-probe")
        // clients left with a default client id (the latency probe's) are the benchmark's; the
        // topology's and the broker's are named
        || threadName.matches("kafka-producer-network-thread \\| producer-\\d+")) {
      return BENCH;
    }
    return OTHER_JAVA;
  }

  /**
   * CPU between two snapshots, per group, as a percentage of one core over the wall time between
   * them, plus the topology's threads by name (to see which of them dominates).
   */
  Map<String, Object> between(Snapshot start, Snapshot end) {
    double wall = end.at() - start.at();
    Map<String, Long> byGroup = new LinkedHashMap<>();
    byGroup.put(TOPOLOGY, 0L);
    byGroup.put(BENCH, 0L);
    byGroup.put(OTHER_JAVA, 0L);
    Map<String, Long> topologyThreads = new TreeMap<>();
    Map<String, Long> otherThreads = new TreeMap<>();
    long javaTotal = 0;
    for (var e : end.cpu().entrySet()) {
      long used = e.getValue() - start.cpu().getOrDefault(e.getKey(), 0L);
      String name = end.names().get(e.getKey());
      String group = group(name);
      byGroup.merge(group, used, Long::sum);
      javaTotal += used;
      if (group.equals(TOPOLOGY)) {
        // Thread names carry a per-run UUID in the client id; keep the part after it.
        topologyThreads.merge(name.replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}-?", ""), used,
            Long::sum);
      } else if (group.equals(OTHER_JAVA)) {
        otherThreads.merge(CpuProfile.threadKind(name), used, Long::sum);
      }
    }
    long process = end.processNanos() - start.processNanos();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("windowSeconds", Math.round(wall / 1e8) / 10.0);
    Map<String, Object> percent = new LinkedHashMap<>();
    byGroup.forEach((g, n) -> percent.put(g, pct(n, wall)));
    percent.put(JVM, process > 0 ? pct(Math.max(0, process - javaTotal), wall) : null);
    percent.put(TOTAL, process > 0 ? pct(process, wall) : null);
    out.put("percentOfOneCore", percent);
    Map<String, Object> threads = new LinkedHashMap<>();
    topologyThreads.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
        .forEach(e -> threads.put(e.getKey(), pct(e.getValue(), wall)));
    out.put("topologyThreadsPercentOfOneCore", threads);
    Map<String, Object> others = new LinkedHashMap<>();
    otherThreads.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
        .forEach(e -> others.put(e.getKey(), pct(e.getValue(), wall)));
    out.put("otherJavaThreadsPercentOfOneCore", others);
    return out;
  }

  /**
   * CPU microseconds per event, by owner, from a {@link #between} reading over a window in which
   * {@code events} were sent (the window must include their processing).
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> perEvent(Map<String, Object> between, long events) {
    Map<String, Object> perEvent = new LinkedHashMap<>();
    if (events <= 0) {
      return perEvent;
    }
    double seconds = (double) between.get("windowSeconds");
    ((Map<String, Object>) between.get("percentOfOneCore")).forEach((owner, pct) -> {
      if (pct instanceof Double p) {
        perEvent.put(owner, Math.round(p / 100 * seconds * 1e6 / events * 10) / 10.0);
      }
    });
    return perEvent;
  }

  private static double pct(long nanos, double wallNanos) {
    return Math.round(1000.0 * nanos / wallNanos) / 10.0;
  }

  /** utime + stime of the whole process, from {@code /proc/self/stat}; -1 where unavailable. */
  static long processCpuNanos() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // After "pid (comm) ", field 3 (state) is f[0]; utime is field 14, stime field 15.
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * (1_000_000_000L / CLOCK_TICKS);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** USER_HZ; 100 on every Linux this runs on (getconf CLK_TCK). */
  private static final long CLOCK_TICKS = 100;
}
