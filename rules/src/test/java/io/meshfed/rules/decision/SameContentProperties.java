package io.meshfed.rules.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.health.EndpointHealth;
import io.meshfed.rules.health.OutlierSettings;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.ServiceRef;
import io.meshfed.rules.split.Split;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link DesiredConfig#sameContentAs} compares field by field; its meaning is "equal once the
 * epochs and the endpoints' health labels are dropped". Checked against that definition,
 * written out plainly here, on configs of up to 2,000 endpoints with one change each (or a
 * health-only change, or none); and {@link WeightsMemo} gives {@link EndpointWeights}' answer,
 * one shared instance per distinct split.
 */
class SameContentProperties {

  private static final EndpointHealth[] HEALTH = EndpointHealth.values();

  @Property(tries = 300)
  void agreesWithComparingCopiesWithoutHealth(@ForAll long seed) {
    Random r = new Random(seed);
    DesiredConfig a = config(r, 1 + r.nextInt(2_000));
    DesiredConfig b = mutate(a, r);
    assertThat(a.sameContentAs(b)).isEqualTo(withoutHealth(a).equals(withoutHealth(b)));
    assertThat(b.sameContentAs(a)).isEqualTo(a.sameContentAs(b));
    assertThat(a.sameContentAs(a)).isTrue();
    assertThat(a.sameContentAs(null)).isFalse();
  }

  @Property(tries = 50)
  void theMemoGivesTheWeightsAssignGivesOneInstancePerSplit(@ForAll long seed) {
    Random r = new Random(seed);
    List<TierInput> tiers = new ArrayList<>();
    int tierCount = 1 + r.nextInt(3);
    for (int t = 0; t < tierCount; t++) {
      List<EndpointInput> eps = new ArrayList<>();
      for (int e = 0; e < 1 + r.nextInt(300); e++) {
        eps.add(new EndpointInput("10." + t + "." + e / 250 + "." + e % 250, 8080,
            HEALTH[r.nextInt(HEALTH.length)], null, null));
      }
      tiers.add(new TierInput(t, List.of(new MemberInput(new ServiceRef("c" + t, "ns", "s"),
          1, eps))));
    }
    tiers = List.copyOf(tiers);
    WeightsMemo memo = new WeightsMemo();
    List<Split> splits = List.of(new Split(0, loads(tierCount, 0), false),
        new Split(tierCount - 1, loads(tierCount, tierCount - 1), false),
        new Split(-1, loads(tierCount, 0), true));
    for (int client = 0; client < 100; client++) {
      Split split = splits.get(r.nextInt(splits.size()));
      List<DesiredConfig.Tier> memoised = memo.assign(tiers, split);
      assertThat(memoised).isEqualTo(EndpointWeights.assign(tiers, split));
      assertThat(memo.assign(tiers, new Split(split.activeTier(), split.tierLoadPercent(),
          split.panic()))).isSameAs(memoised);
    }
  }

  private static List<Integer> loads(int tiers, int active) {
    List<Integer> loads = new ArrayList<>();
    for (int t = 0; t < tiers; t++) {
      loads.add(t == active ? 100 : 0);
    }
    return loads;
  }

  /** The definition: the config with epoch 0 and every endpoint's health dropped. */
  private static DesiredConfig withoutHealth(DesiredConfig c) {
    List<DesiredConfig.Tier> bare = c.tiers().stream().map(t -> new DesiredConfig.Tier(
        t.index(), t.loadPercent(), t.members(), t.endpoints().stream().map(e ->
            new DesiredConfig.WeightedEndpoint(e.address(), e.port(), e.weight(), e.service(),
                e.zone(), e.region(), null, e.ports())).toList())).toList();
    return new DesiredConfig(c.destination(), c.clientCluster(), c.hosts(), c.ports(), bare,
        c.activeTier(), c.outlier(), 0, c.generation());
  }

  private static DesiredConfig config(Random r, int endpoints) {
    List<DesiredConfig.Tier> tiers = new ArrayList<>();
    int tierCount = 1 + r.nextInt(3);
    for (int t = 0; t < tierCount; t++) {
      List<DesiredConfig.WeightedEndpoint> eps = new ArrayList<>();
      for (int e = 0; e < endpoints / tierCount; e++) {
        eps.add(new DesiredConfig.WeightedEndpoint("10." + t + "." + e / 250 + "." + e % 250,
            8080, r.nextInt(1000), new ServiceRef("c" + t, "ns", "svc"),
            r.nextBoolean() ? "z" + r.nextInt(3) : null, r.nextBoolean() ? "r" : null,
            HEALTH[r.nextInt(HEALTH.length)], r.nextBoolean() ? List.of() : List.of(8080, 9090)));
      }
      tiers.add(new DesiredConfig.Tier(t, r.nextInt(101),
          List.of(new ServiceRef("c" + t, "ns", "svc")), eps));
    }
    return new DesiredConfig(new ResourceId(Kind.values()[0], "ns", "d"), "client",
        List.of("d.global"), List.of(new DesiredConfig.Port(80, "HTTP", 8080)), tiers,
        r.nextInt(tierCount), new OutlierSettings(5, Duration.ofSeconds(10),
            Duration.ofSeconds(30), 100), r.nextInt(5), 3);
  }

  /** A copy with one change, a health-only change, or none — as new instances throughout. */
  private static DesiredConfig mutate(DesiredConfig c, Random r) {
    List<DesiredConfig.Tier> tiers = new ArrayList<>();
    int kind = r.nextInt(12);
    int tier = r.nextInt(c.tiers().size());
    for (DesiredConfig.Tier t : c.tiers()) {
      List<DesiredConfig.WeightedEndpoint> eps = new ArrayList<>(t.endpoints());
      if (t.index() == tier && !eps.isEmpty()) {
        int i = r.nextInt(eps.size());
        DesiredConfig.WeightedEndpoint e = eps.get(i);
        switch (kind) {
          case 0 -> eps.set(i, new DesiredConfig.WeightedEndpoint(e.address(), e.port(),
              e.weight() + 1, e.service(), e.zone(), e.region(), e.health(), e.ports()));
          case 1 -> eps.set(i, new DesiredConfig.WeightedEndpoint(e.address() + "9", e.port(),
              e.weight(), e.service(), e.zone(), e.region(), e.health(), e.ports()));
          case 2 -> eps.set(i, new DesiredConfig.WeightedEndpoint(e.address(), e.port(),
              e.weight(), e.service(), e.zone() == null ? "z9" : null, e.region(), e.health(),
              e.ports()));
          case 3 -> eps.set(i, new DesiredConfig.WeightedEndpoint(e.address(), e.port(),
              e.weight(), e.service(), e.zone(), e.region(), e.health(), List.of(1)));
          case 4 -> eps.remove(i);
          case 5, 6, 7 -> eps.set(i, new DesiredConfig.WeightedEndpoint(e.address(), e.port(),
              e.weight(), e.service(), e.zone(), e.region(),
              HEALTH[(e.health().ordinal() + 1) % HEALTH.length], e.ports()));
          default -> { }
        }
      }
      int load = t.index() == tier && kind == 8 ? (t.loadPercent() + 1) % 101 : t.loadPercent();
      tiers.add(new DesiredConfig.Tier(t.index(), load, t.members(), eps));
    }
    return new DesiredConfig(c.destination(), kind == 9 ? "other" : c.clientCluster(),
        c.hosts(), c.ports(), tiers, kind == 10 ? c.activeTier() + 1 : c.activeTier(),
        c.outlier(), c.epoch() + r.nextInt(3), kind == 11 ? c.generation() + 1 : c.generation());
  }
}
