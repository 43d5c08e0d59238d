package io.meshfed.bench.e2e;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The unrecorded warm-up before a latency run: rounds of flips at a fixed rate until the JIT has
 * settled, so that a step measures the engine and not the compiler.
 *
 * <p>Why rounds and not a fixed time: the benchmark's JVM compiles the broker, the topology, the
 * registry client and the load generator at once — 24,000 compilations, 3 min 45 s of compiler
 * time in a 5-minute latency section on the 2-core Intel machine (JFR {@code CompilerStatistics},
 * 2026-12-03). With the earlier fixed 20 s warm-up the C2 compiler thread still took 59 % of a
 * core during the first recorded step, the stream thread got 38 %, and whichever guarantee ran
 * first fell behind at 1,000 flips/s (at-least-once p50 5.7 s; exactly-once, run first, 6.2 s)
 * while the one run second held it. The faster AMD machine of earlier runs compiled within the
 * 20 s. A round ends only when its flips are all decided (a backlog left by a cold round would
 * otherwise be measured by the next step; {@link LatencyProbe#awaitDrained} stops waiting when
 * nothing has been decided for 10 s, as a flip undone by the next one is never decided); the
 * warm-up ends when a round's compiler time is at most {@link #SETTLED_SHARE} of one core, or at
 * {@code max}. Its length and the last round's
 * compiler share are reported with the results.
 */
final class JitWarmup {

  /** Compiler time per wall time, in cores, below which the JIT counts as settled. */
  static final double SETTLED_SHARE = 0.05;

  /** How long a round's backlog may take to drain before the next round starts anyway. */
  static final Duration DRAIN = Duration.ofSeconds(120);

  private JitWarmup() {}

  /** Runs warm-up rounds of {@code round} at {@code rate} until settled or {@code max}. */
  static Map<String, Object> run(LatencyProbe probe, int rate, Duration round, Duration max) {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    int rounds = 0;
    double share;
    boolean drained;
    do {
      long compiledBefore = jit.getTotalCompilationTime();
      long roundStart = System.nanoTime();
      probe.run(rate, round);
      drained = probe.awaitDrained(DRAIN);
      double wallMs = (System.nanoTime() - roundStart) / 1e6;
      share = (jit.getTotalCompilationTime() - compiledBefore) / wallMs;
      rounds++;
      System.out.printf(Locale.ROOT, "    warm-up round %d: compiler %.0f %% of a core%s%n",
          rounds, share * 100, drained ? "" : ", backlog not drained");
    } while (share > SETTLED_SHARE && System.nanoTime() - start < max.toNanos());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("flipsPerSecond", rate);
    out.put("rounds", rounds);
    out.put("seconds", Math.round((System.nanoTime() - start) / 1e9));
    out.put("lastRoundCompilerShareOfCore", Math.round(share * 1000) / 1000.0);
    out.put("settled", share <= SETTLED_SHARE);
    out.put("lastRoundDrained", drained);
    return out;
  }
}
