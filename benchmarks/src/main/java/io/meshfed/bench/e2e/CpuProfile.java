package io.meshfed.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JDK Flight Recorder CPU profile of one section: where the samples fell, by thread group
 * (stream threads, broker, clients, ...) and by the top meshfed or Kafka frame. This is the
 * "profile that explains it" when a target is missed.
 */
final class CpuProfile implements AutoCloseable {

  private final Recording recording = new Recording();
  private final Path file;

  CpuProfile(Path file) {
    this.file = file;
    recording.enable("jdk.ExecutionSample").withPeriod(java.time.Duration.ofMillis(10));
    // Threads inside native code (RocksDB's JNI calls) are sampled here, not above.
    recording.enable("jdk.NativeMethodSample").withPeriod(java.time.Duration.ofMillis(10));
    // Blocking time too: a thread that waits (on the broker, a lock, a future) shows no
    // execution samples at all, and a CPU profile alone hides it.
    for (String blocking : List.of("jdk.ThreadPark", "jdk.SocketRead", "jdk.JavaMonitorWait",
        "jdk.JavaMonitorEnter", "jdk.ThreadSleep")) {
      recording.enable(blocking).withThreshold(java.time.Duration.ofMillis(2)).withStackTrace();
    }
    recording.start();
  }

  /** Stops recording and summarises: share of samples per thread kind and per hot method. */
  Map<String, Object> summary() throws IOException {
    recording.stop();
    Files.createDirectories(file.toAbsolutePath().getParent());
    recording.dump(file);
    Map<String, Integer> threads = new HashMap<>();
    Map<String, Integer> methods = new HashMap<>();
    int total = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
        continue;
      }
      total++;
      String thread = e.getThread("sampledThread") == null ? "?"
          : threadKind(e.getThread("sampledThread").getJavaName());
      threads.merge(thread, 1, Integer::sum);
      List<RecordedFrame> frames = e.getStackTrace().getFrames();
      if (!frames.isEmpty()) {
        RecordedFrame top = frames.get(0);
        methods.merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(), 1,
            Integer::sum);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("samples", total);
    out.put("byThread", top(threads, total, 8));
    out.put("topFrames", top(methods, total, 12));
    out.put("jfr", file.toString());
    return out;
  }

  private static Map<String, String> top(Map<String, Integer> counts, int total, int n) {
    Map<String, String> out = new LinkedHashMap<>();
    counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue(
        Comparator.reverseOrder())).limit(n).forEach(e -> out.put(e.getKey(),
            String.format(java.util.Locale.ROOT, "%.1f%%", 100.0 * e.getValue() / total)));
    return out;
  }

  /** Groups thread names: stream threads, broker request handlers, network, clients. */
  static String threadKind(String name) {
    if (name.contains("StreamThread")) {
      return "topology stream threads";
    }
    if (name.startsWith("data-plane-kafka-request-handler")
        || name.contains("request-handler")) {
      return "broker request handlers";
    }
    if (name.contains("data-plane-kafka-network") || name.contains("kafka-network-thread")) {
      return "broker network threads";
    }
    if (name.contains("kafka-producer-network-thread")) {
      return "producer I/O threads";
    }
    if (name.startsWith("latency-probe") || name.startsWith("floor-")) {
      return "benchmark load/readers";
    }
    if (name.contains("raft") || name.contains("quorum") || name.contains("controller")) {
      return "broker controller/raft";
    }
    if (name.startsWith("main")) {
      return "benchmark driver (main)";
    }
    return name.replaceAll("[-_]?\\d+$", "");
  }

  @Override
  public void close() {
    recording.close();
  }
}
