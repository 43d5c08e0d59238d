package io.meshfed.agent.shift;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.meshfed.agent.apply.TrafficShiftSource;
import io.meshfed.avro.FederatedDestination;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ResourceRef;
import io.meshfed.rules.shift.Shift;
import io.meshfed.rules.shift.ShiftTarget;
import io.meshfed.rules.shift.TrafficPolicy;
import io.meshfed.rules.shift.TrafficPolicy.FailoverServiceRef;
import io.meshfed.rules.shift.TrafficShifts;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TrafficPolicies of this cluster and the FailoverService configs that reach it, planned by
 * {@link TrafficShifts} whenever either changes. A change of the shifts to a FailoverService asks
 * the config follower to apply that FailoverService again ({@code reapply}), which writes or
 * prunes its VirtualServices; a changed verdict is written to the policy's status on a thread of
 * its own, so API-server calls never hold up applying config.
 */
public final class TrafficShiftController implements TrafficShiftSource, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TrafficShiftController.class);

  private final String cluster;
  private final boolean canShift;
  private final KubernetesClient client;
  private final Map<String, TrafficPolicy> policies = new HashMap<>();
  private final Map<FailoverServiceRef, ShiftTarget> visible = new HashMap<>();
  private final Map<String, TrafficShifts.Verdict> written = new HashMap<>();
  private final ExecutorService statusThread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "traffic-policy-status");
    t.setDaemon(true);
    return t;
  });
  private volatile Consumer<ResourceRef> reapply = ref -> { };
  private TrafficShifts.Plan plan = new TrafficShifts.Plan(List.of(), Map.of());

  public TrafficShiftController(String cluster, boolean canShift, KubernetesClient client) {
    this.cluster = cluster;
    this.canShift = canShift;
    this.client = client;
  }

  /** Where a FailoverService whose shifts changed is applied again (the config follower). */
  public void reapplyWith(Consumer<ResourceRef> reapply) {
    this.reapply = reapply;
  }

  /** An informer's handler that feeds this controller every TrafficPolicy add, change and delete. */
  public ResourceEventHandler<GenericKubernetesResource> informerHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource r) {
        upsert(r);
      }

      @Override
      public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
        upsert(after);
      }

      @Override
      public void onDelete(GenericKubernetesResource r, boolean unknownFinalState) {
        delete(r);
      }
    };
  }

  /** A TrafficPolicy was added or changed. */
  public void upsert(GenericKubernetesResource resource) {
    TrafficPolicy policy = TrafficPolicies.read(resource);
    synchronized (this) {
      policies.put(policy.key(), policy);
      replan();
    }
  }

  /** A TrafficPolicy was deleted. */
  public void delete(GenericKubernetesResource resource) {
    synchronized (this) {
      String key = resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
      policies.remove(key);
      written.remove(key);
      replan();
    }
  }

  @Override
  public synchronized void configured(FederatedDestination fd) {
    var ref = fd.getDestination();
    ShiftTarget target = fd.getPorts().isEmpty() || fd.getHosts().isEmpty() ? null
        : new ShiftTarget(fd.getHosts().get(0), fd.getPorts().get(0).getNumber(),
            fd.getPorts().get(0).getProtocol().toUpperCase(Locale.ROOT));
    FailoverServiceRef key = new FailoverServiceRef(ref.getName(), ref.getNamespace());
    if (!Objects.equals(target == null ? null : target, visible.get(key))) {
      if (target == null) {
        visible.remove(key);
      } else {
        visible.put(key, target);
      }
      replan();
    }
  }

  @Override
  public synchronized void withdrawn(ResourceRef destination) {
    if (destination.getKind() == ResourceKind.FailoverService && visible.remove(
        new FailoverServiceRef(destination.getName(), destination.getNamespace())) != null) {
      replan();
    }
  }

  @Override
  public synchronized List<Shift> shiftsTo(ResourceRef failoverService) {
    return plan.shiftsTo(new FailoverServiceRef(failoverService.getName(),
        failoverService.getNamespace()));
  }

  /** The verdicts of the last plan, by {@code namespace/name}. */
  public synchronized Map<String, TrafficShifts.Verdict> verdicts() {
    return plan.verdicts();
  }

  private void replan() {
    TrafficShifts.Plan before = plan;
    plan = TrafficShifts.plan(cluster, canShift, policies.values(), visible);
    java.util.Set<FailoverServiceRef> changed = new java.util.HashSet<>();
    before.shifts().forEach(s -> changed.add(s.failoverService()));
    plan.shifts().forEach(s -> changed.add(s.failoverService()));
    for (FailoverServiceRef fs : changed) {
      if (!before.shiftsTo(fs).equals(plan.shiftsTo(fs))) {
        reapply.accept(new ResourceRef(ResourceKind.FailoverService, fs.namespace(), fs.name()));
      }
    }
    for (var e : plan.verdicts().entrySet()) {
      if (!e.getValue().equals(written.get(e.getKey()))) {
        written.put(e.getKey(), e.getValue());
        TrafficPolicy policy = policies.get(e.getKey());
        TrafficShifts.Verdict verdict = e.getValue();
        statusThread.execute(() -> writeStatus(policy, verdict));
      }
    }
  }

  /** On the status thread, retried like every API call (it used to be tried once). */
  private void writeStatus(TrafficPolicy policy, TrafficShifts.Verdict verdict) {
    try {
      io.meshfed.agent.apply.StatusWriter.write(client, TrafficPolicies.CRD, policy.namespace(),
          policy.name(), live -> true, TrafficPolicyStatus.of(verdict),
          io.meshfed.agent.apply.Backoff.ISTIO_AGENT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.warn("cluster {}: could not write the status of TrafficPolicy {}: {}", cluster,
          policy.key(), e.toString());
    }
  }

  @Override
  public void close() {
    statusThread.shutdownNow();
  }
}
