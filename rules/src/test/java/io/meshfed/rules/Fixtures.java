package io.meshfed.rules;

import io.meshfed.rules.model.BackendKind;
import io.meshfed.rules.model.FailoverServiceSpec;
import io.meshfed.rules.model.FailoverServiceSpec.BackingService;
import io.meshfed.rules.model.Kind;
import io.meshfed.rules.model.Meta;
import io.meshfed.rules.model.PortSpec;
import io.meshfed.rules.model.ResourceId;
import io.meshfed.rules.model.Service;
import io.meshfed.rules.model.ServicePort;
import io.meshfed.rules.model.ServiceRef;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Builders for the rules' inputs, shared by the feature test packages. */
public final class Fixtures {

  public static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  private Fixtures() {}

  public static Meta meta(Kind kind, String namespace, String name, Instant created) {
    return Meta.of(new ResourceId(kind, namespace, name), "uid-" + name, 1, created);
  }

  public static Service service(String cluster, String namespace, String name, Instant created,
      Map<String, String> labels, ServicePort... ports) {
    return new Service(new ServiceRef(cluster, namespace, name), BackendKind.SERVICE,
        "uid-" + cluster + "-" + name, created, labels, List.of(ports));
  }

  public static ServicePort http(int number) {
    return new ServicePort("http", number, "TCP");
  }

  /** The walkthrough's FailoverService: reviews on mgmt-cluster first, remote-cluster second. */
  public static FailoverServiceSpec reviewsFailover() {
    return new FailoverServiceSpec("reviews-failover.bookinfo.global", new PortSpec(9080L, "http"),
        List.of(), List.of(), List.of(
            new BackingService("reviews", "bookinfo", "mgmt-cluster"),
            new BackingService("reviews", "bookinfo", "remote-cluster")));
  }
}
