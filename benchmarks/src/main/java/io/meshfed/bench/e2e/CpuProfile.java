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
 * (stream threads, broker, clients, ...) and by the top meshfed or Kafka frame, and for the
 * topology's stream threads by stage and by kind of work on the whole stack (inclusive), which
 * a leaf frame cannot tell: {@code ByteBuffer.position} at the top of a stack says nothing of
 * whether a send, a store write or an evaluation paid for it. This is the "profile that
 * explains it" when a target is missed.
 */
final class CpuProfile implements AutoCloseable {

  /** The stream thread's stages, outermost first: a sample goes to the first one on its stack. */
  static final List<Map.Entry<String, String>> STAGES = List.of(
      Map.entry("evaluation", "io.meshfed.topology.decide.DecideProcessor.evaluate"),
      Map.entry("decide input", "io.meshfed.topology.decide.DecideProcessor.process"),
      Map.entry("select", "io.meshfed.topology.select.SelectProcessor.process"),
      Map.entry("ingest", "io.meshfed.topology.ingest.IngestProcessor.process"),
      Map.entry("commit", "org.apache.kafka.streams.processor.internals.StreamThread.maybeCommit"),
      Map.entry("poll", "org.apache.kafka.streams.processor.internals.StreamThread.pollPhase"));

  /**
   * Kinds of work, by a prefix of a frame anywhere on the stack; the first that matches wins,
   * so a serializer called by a send counts as the send's.
   */
  static final List<Map.Entry<String, String>> WORK = List.of(
      Map.entry("producer send (outputs and changelog records)",
          "org.apache.kafka.clients.producer.KafkaProducer.send"),
      Map.entry("serialize (Avro out, JSON state)",
          "org.apache.kafka.common.serialization.Serializer.serialize"),
      Map.entry("deserialize (Avro in, JSON state)",
          "org.apache.kafka.common.serialization.Deserializer.deserialize"),
      Map.entry("RocksDB (Streams' store and JNI)",
          "org.apache.kafka.streams.state.internals.RocksDB"),
      Map.entry("rules", "io.meshfed.rules."));

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
    Map<String, Integer> stages = new HashMap<>();
    Map<String, Integer> work = new HashMap<>();
    int total = 0;
    int streamThread = 0;
    int truncated = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
        continue;
      }
      total++;
      String name = e.getThread("sampledThread") == null ? null
          : e.getThread("sampledThread").getJavaName();
      threads.merge(name == null ? "?" : threadKind(name), 1, Integer::sum);
      List<RecordedFrame> frames = e.getStackTrace().getFrames();
      if (name != null && isStreamThread(name)) {
        streamThread++;
        truncated += e.getStackTrace().isTruncated() ? 1 : 0;
        List<String> names = frames.stream().map(f -> f.getMethod().getType().getName() + "."
            + f.getMethod().getName()).toList();
        stages.merge(firstMatch(STAGES, names, "other"), 1, Integer::sum);
        work.merge(firstMatch(WORK, names, "the rest (Streams and client plumbing, meshfed"
            + " code, collections)"), 1, Integer::sum);
      }
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
    Map<String, Object> stream = new LinkedHashMap<>();
    stream.put("samples", streamThread);
    stream.put("truncatedStacks", truncated);
    stream.put("byStage", top(stages, streamThread, STAGES.size() + 1));
    stream.put("byWork", top(work, streamThread, WORK.size() + 1));
    out.put("streamThread", stream);
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

  /** A Kafka Streams stream thread itself, not its producer's I/O thread. */
  static boolean isStreamThread(String name) {
    return name.contains("StreamThread") && !name.startsWith("kafka-producer-network-thread");
  }

  /** The name of the first entry whose frame prefix is on the stack, or {@code none}. */
  static String firstMatch(List<Map.Entry<String, String>> kinds, List<String> frames,
      String none) {
    for (Map.Entry<String, String> kind : kinds) {
      for (String frame : frames) {
        if (frame.startsWith(kind.getValue())) {
          return kind.getKey();
        }
      }
    }
    return none;
  }

  /** Groups thread names: stream threads, broker request handlers, network, clients. */
  static String threadKind(String name) {
    if (name.startsWith("kafka-producer-network-thread") && name.contains("StreamThread")) {
      return "topology producer I/O threads";
    }
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
