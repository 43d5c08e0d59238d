package io.meshfed.bench;

import io.meshfed.rules.decision.DecideResult;
import io.meshfed.rules.decision.Decider;
import io.meshfed.rules.decision.DecisionInputs;
import io.meshfed.rules.decision.DecisionState;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.decision.EndpointInput;
import io.meshfed.rules.decision.MemberInput;
import io.meshfed.rules.decision.TierInput;
import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.SplitPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Decider.decide} for a 3-tier destination with 30 endpoints (one member of 10 endpoints
 * per tier), the hot path of the topology: it runs once per relevant health event per client
 * cluster.
 *
 * <ul>
 *   <li>{@code unchanged}: the common case — a health event that moves no weight, so no decision;
 *   <li>{@code failover}: tier 0 loses most endpoints, a decision with a reason is built;
 *   <li>{@code initial}: the first decision for a destination.
 * </ul>
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar DecideBenchmark -t 1</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class DecideBenchmark {

  private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  private DecisionInputs healthy;
  private DecisionInputs degraded;
  private DecisionState steady;

  @Setup
  public void setUp() {
    healthy = inputs(0);
    degraded = inputs(8);
    steady = Decider.decide(null, healthy, T0).state();
  }

  /** Three tiers of one member and ten endpoints; {@code downInTier0} of tier 0 unhealthy. */
  static DecisionInputs inputs(int downInTier0) {
    List<TierInput> tiers = new ArrayList<>();
    for (int t = 0; t < 3; t++) {
      List<EndpointInput> endpoints = new ArrayList<>();
      for (int e = 0; e < 10; e++) {
        EndpointHealth health = t == 0 && e < downInTier0 ? EndpointHealth.UNHEALTHY
            : EndpointHealth.HEALTHY;
        endpoints.add(new EndpointInput("10." + t + ".0." + e, 9080, health, "zone-" + t,
            "region-" + t));
      }
      tiers.add(new TierInput(t, List.of(new MemberInput(
          new ServiceRef("cluster-" + t, "bookinfo", "reviews"), 1, endpoints))));
    }
    return new DecisionInputs(new ResourceId(Kind.FailoverService, "smh", "reviews"), 1,
        "cluster-0", List.of("reviews.global"), List.of(new DesiredConfig.Port(9080, "HTTP", 9080)),
        OutlierSettings.DEFAULTS, tiers, SplitPolicy.DEFAULT, Duration.ofSeconds(30));
  }

  @Benchmark
  public DecideResult unchanged() {
    return Decider.decide(steady, healthy, T0.plusSeconds(1));
  }

  @Benchmark
  public DecideResult failover() {
    return Decider.decide(steady, degraded, T0.plusSeconds(1));
  }

  @Benchmark
  public DecideResult initial() {
    return Decider.decide(null, healthy, T0);
  }
}
