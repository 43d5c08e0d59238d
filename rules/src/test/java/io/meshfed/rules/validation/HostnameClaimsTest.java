package io.meshfed.rules.validation;

import static io.meshfed.rules.Fixtures.T0;
import static io.meshfed.rules.Fixtures.meta;
import static io.meshfed.rules.Fixtures.reviewsFailover;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.PortMapping;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.VirtualDestinationSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class HostnameClaimsTest {

  private final Resource.FailoverService older = new Resource.FailoverService(
      meta(Kind.FailoverService, "smh", "reviews-failover", T0), reviewsFailover());
  private final Resource.VirtualDestination newer = new Resource.VirtualDestination(
      meta(Kind.VirtualDestination, "global", "reviews-vd", T0.plusSeconds(60)),
      new VirtualDestinationSpec(List.of("other.example", "reviews-failover.bookinfo.global"),
          List.of(), List.of(), List.of(), List.of(new PortMapping(80L, "HTTP", null)), List.of()));

  @Test
  void theOldestKeepsTheHostnameAndTheNewerIsInvalidWithAConflictReason() {
    Map<ResourceId, Findings> conflicts = HostnameClaims.conflicts(List.of(newer, older));
    assertThat(conflicts).containsOnlyKeys(newer.id());
    assertThat(conflicts.get(newer.id()).errors()).containsExactly("hostname"
        + " \"reviews-failover.bookinfo.global\" is already claimed by"
        + " FailoverService/smh/reviews-failover (created 2026-11-22T10:00:00Z); the oldest"
        + " destination keeps a hostname");
  }

  @Test
  void sameAgeIsBrokenByIdSoArrivalOrderNeverMatters() {
    var twin = new Resource.FailoverService(meta(Kind.FailoverService, "aaa", "first", T0),
        reviewsFailover());
    List<Resource.FailoverService> all = new ArrayList<>(List.of(older, twin));
    Map<ResourceId, Findings> expected = HostnameClaims.conflicts(all);
    assertThat(expected).containsOnlyKeys(older.id());
    for (int seed = 0; seed < 10; seed++) {
      Collections.shuffle(all, new Random(seed));
      assertThat(HostnameClaims.conflicts(all)).isEqualTo(expected);
    }
  }
}
