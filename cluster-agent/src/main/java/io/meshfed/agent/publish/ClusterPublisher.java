package io.meshfed.agent.publish;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.meshfed.agent.queue.WorkQueue;
import io.meshfed.avro.ClusterHeartbeat;
import io.meshfed.avro.Endpoint;
import io.meshfed.avro.EndpointPort;
import io.meshfed.avro.EndpointSnapshot;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.ResourceKind;
import io.meshfed.avro.ServicePort;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.topics.EventKeys;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the cluster and publishes what it has to the cluster's events topic: Services,
 * endpoints (all EndpointSlices of a service merged), members outside Kubernetes
 * (ExternalService / ExternalWorkload resources, {@link ExternalMembers}), heartbeats, and —
 * when this cluster is a policy source — the meshfed custom resources.
 *
 * <p>Informer handlers only enqueue keys into a coalescing {@link WorkQueue}; one worker reads
 * the informer caches and publishes the latest state of each key, so a burst of changes to one
 * object is one record. Nothing is published until every informer has synced (a half-synced
 * cache would look like deletions). Deletions publish tombstones. A failed send puts the key
 * back after a delay: the queue holds one entry per key, which bounds what waits while Kafka is
 * away, and the latest state is what goes out when it returns.
 */
public final class ClusterPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterPublisher.class);
  private static final String BY_SERVICE = "service";
  public static final Map<ResourceKind, String> PLURALS = Map.of(
      ResourceKind.FailoverService, "failoverservices",
      ResourceKind.VirtualDestination, "virtualdestinations",
      ResourceKind.FailoverPolicy, "failoverpolicies",
      ResourceKind.OutlierDetectionPolicy, "outlierdetectionpolicies");

  /** What the publisher needs to know about its cluster. */
  public record Settings(String cluster, String eventsTopic, boolean policySource,
      String agentVersion, String region, List<String> zones, Map<String, String> labels,
      MeshKind meshKind, Duration heartbeatInterval, Duration resync, Duration retryDelay) {}

  private final KubernetesClient client;
  private final Producer<String, SpecificRecord> producer;
  private final Settings settings;
  private final Clock clock;
  private final Instant startedAt;
  private final WorkQueue<String> queue = new WorkQueue<>();
  /** Writes the INVALID status of a policy too large to publish (the topology never sees it). */
  private final io.meshfed.agent.apply.StatusWriter statusWriter;
  /** The last value sent per event key (empty: a tombstone), and when; removed if it failed. */
  private final Map<String, Sent> lastSent = new java.util.concurrent.ConcurrentHashMap<>();
  private static final Duration RESEND_UNCHANGED_AFTER = Duration.ofDays(1);

  private record Sent(Optional<SpecificRecord> value, Instant at) {}
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
      r -> new Thread(r, "publisher-timers"));
  private final Thread worker;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Service> services;
  private SharedIndexInformer<EndpointSlice> slices;
  private final Map<ResourceKind, SharedIndexInformer<GenericKubernetesResource>> policies =
      new EnumMap<>(ResourceKind.class);
  /** ExternalService / ExternalWorkload informers, in order of precedence for one name. */
  private final Map<ExternalMembers.Kind, SharedIndexInformer<GenericKubernetesResource>>
      members = new EnumMap<>(ExternalMembers.Kind.class);
  /** Member resources last found unpublishable, so each problem is logged once. */
  private final Map<String, List<String>> memberProblems =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean running = true;
  private volatile boolean synced;
  private volatile boolean kafkaHealthy = true;
  private volatile long restartEpoch = -1;
  private volatile Runnable onAnnounced;

  public ClusterPublisher(KubernetesClient client, Producer<String, SpecificRecord> producer,
      Settings settings, Clock clock) {
    this.client = client;
    this.producer = producer;
    this.settings = settings;
    this.clock = clock;
    this.startedAt = clock.instant();
    this.statusWriter = new io.meshfed.agent.apply.StatusWriter(client);
    this.worker = new Thread(this::work, "publisher-" + settings.cluster());
  }

  /** Starts the informers, the worker and the heartbeat. */
  public ClusterPublisher start() {
    services = inform(client.services().inAnyNamespace().runnableInformer(resync()),
        s -> "Service/" + s.getMetadata().getNamespace() + "/" + s.getMetadata().getName());
    slices = client.discovery().v1().endpointSlices().inAnyNamespace()
        .runnableInformer(resync());
    slices.addIndexers(Map.of(BY_SERVICE, s -> serviceOf(s)
        .map(name -> List.of(s.getMetadata().getNamespace() + "/" + name)).orElse(List.of())));
    inform(slices, s -> serviceOf(s).map(name -> "Endpoints/" + s.getMetadata().getNamespace()
        + "/" + name).orElse(null));
    if (settings.policySource()) {
      for (ResourceKind kind : PLURALS.keySet()) {
        policies.put(kind, inform(client.genericKubernetesResources(crd(kind)).inAnyNamespace()
            .runnableInformer(resync()), r -> "Policy/" + kind + "/"
                + r.getMetadata().getNamespace() + "/" + r.getMetadata().getName()));
      }
    }
    // Members outside Kubernetes are published by the cluster they are declared in, whether
    // or not it is a policy source: they are members, like Services. Their informers do not
    // gate the first publish (see work()): a cluster whose install predates these CRDs answers
    // 404, which the informer logs and retries, and its Services must still be published.
    for (ExternalMembers.Kind kind : ExternalMembers.Kind.values()) {
      SharedIndexInformer<GenericKubernetesResource> informer = client
          .genericKubernetesResources(kind.context()).inAnyNamespace()
          .runnableInformer(resync());
      informer.addEventHandler(handler(r -> "Endpoints/" + r.getMetadata().getNamespace() + "/"
          + r.getMetadata().getName()));
      informer.addEventHandler(handler(r -> "Service/" + r.getMetadata().getNamespace() + "/"
          + r.getMetadata().getName()));
      informer.exceptionHandler((started, t) -> {
        LOG.warn("cluster {}: cannot watch {} ({}); retrying. Is the {} CRD installed?",
            settings.cluster(), kind.kind(), t.toString(), kind.kind());
        return true;
      });
      members.put(kind, informer);
    }
    members.values().forEach(SharedIndexInformer::start);
    worker.start();
    timers.scheduleAtFixedRate(this::heartbeat, 0, settings.heartbeatInterval().toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  private long resync() {
    return settings.resync().toMillis();
  }

  /**
   * Starts an informer whose handler enqueues keys. A failing list or watch — at start too, e.g.
   * a watch the server ends with 410 Gone — is retried by the informer, never fatal.
   */
  private <T extends HasMetadata> SharedIndexInformer<T> inform(SharedIndexInformer<T> informer,
      Function<T, String> key) {
    informer.addEventHandler(handler(key));
    informer.exceptionHandler((started, t) -> {
      LOG.warn("cluster {}: informer error ({}), retrying: {}", settings.cluster(),
          started ? "running" : "starting", t.toString());
      return true;
    });
    informer.start();
    informers.add(informer);
    return informer;
  }

  /** True once every informer has synced and the first publishes can go out. */
  public boolean isSynced() {
    return synced;
  }

  /** True once the ExternalService and ExternalWorkload informers have synced too. */
  public boolean membersSynced() {
    return members.values().stream().allMatch(SharedIndexInformer::hasSynced);
  }

  /** False while sends to Kafka fail; the agent's readiness reports it. */
  public boolean isKafkaHealthy() {
    return kafkaHealthy;
  }

  public static ResourceDefinitionContext crd(ResourceKind kind) {
    return new ResourceDefinitionContext.Builder().withGroup("meshfed.io")
        .withVersion("v1alpha1").withKind(kind.name()).withPlural(PLURALS.get(kind))
        .withNamespaced(true).build();
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler(Function<T, String> key) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        enqueue(key.apply(obj));
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        enqueue(key.apply(oldObj));
        enqueue(key.apply(newObj));
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        enqueue(key.apply(obj));
      }
    };
  }

  private void enqueue(String key) {
    if (key != null) {
      queue.add(key);
    }
  }

  private void work() {
    // inform() returns after the initial list; this only guards against a late informer.
    while (running && !informers.stream().allMatch(SharedIndexInformer::hasSynced)) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    synced = true;
    LOG.info("cluster {}: informers synced; publishing", settings.cluster());
    while (running) {
      try {
        Optional<String> next = queue.take(200, TimeUnit.MILLISECONDS);
        if (next.isEmpty()) {
          continue;
        }
        String key = next.get();
        try {
          publish(key);
        } finally {
          queue.done(key);
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.warn("cluster {}: publish error: {}", settings.cluster(), e.toString());
      }
    }
  }

  private void publish(String key) {
    String[] parts = key.split("/");
    String c = settings.cluster();
    switch (parts[0]) {
      case "Service" -> {
        var service = services.getStore().getByKey(parts[1] + "/" + parts[2]);
        send(key, EventKeys.service(c, parts[1], parts[2]), service != null ? snapshot(service)
            : member(parts[1], parts[2]).map(m -> (SpecificRecord) ExternalMembers.service(
                m.kind(), m.resource())).orElse(null));
      }
      case "Endpoints" -> {
        Optional<Member> member = services.getStore().getByKey(parts[1] + "/" + parts[2])
            != null ? Optional.empty() : member(parts[1], parts[2]);
        send(key, EventKeys.endpoints(c, parts[1], parts[2]), member.isPresent()
            ? ExternalMembers.endpoints(member.get().resource()) : endpoints(parts[1], parts[2]));
      }
      case "Policy" -> {
        ResourceKind kind = ResourceKind.valueOf(parts[1]);
        GenericKubernetesResource r = policies.get(kind).getStore()
            .getByKey(parts[2] + "/" + parts[3]);
        send(key, EventKeys.policy(c, kind, parts[2], parts[3]),
            r == null ? null : PolicyMapping.toEvent(kind, r));
      }
      default -> LOG.warn("unknown work key {}", key);
    }
  }

  private record Member(ExternalMembers.Kind kind, GenericKubernetesResource resource) {}

  /**
   * The publishable member resource named {@code namespace/name}: an ExternalService before an
   * ExternalWorkload of the same name. A Kubernetes Service of that name takes precedence over
   * both (the callers check it first): the events topic has one key per cluster, namespace and
   * name, and the cluster's own Service is what its users already route to. The one that is
   * shadowed or cannot be read is logged once, naming why.
   */
  private Optional<Member> member(String namespace, String name) {
    String id = namespace + "/" + name;
    Member found = null;
    for (ExternalMembers.Kind kind : ExternalMembers.Kind.values()) {
      GenericKubernetesResource r = members.get(kind).getStore().getByKey(id);
      if (r == null) {
        continue;
      }
      String at = kind.kind() + " " + id;
      List<String> problems = new ArrayList<>(ExternalMembers.problems(r));
      if (problems.isEmpty() && services.getStore().getByKey(id) != null) {
        problems.add("a Service of the same name is published instead");
      } else if (problems.isEmpty() && found != null) {
        problems.add("an " + found.kind().kind() + " of the same name is published instead");
      }
      if (problems.isEmpty()) {
        found = new Member(kind, r);
        memberProblems.remove(at);
      } else if (!problems.equals(memberProblems.put(at, problems))) {
        LOG.warn("cluster {}: {} is not published: {}", settings.cluster(), at,
            String.join("; ", problems.subList(0, Math.min(5, problems.size()))));
      }
    }
    return Optional.ofNullable(found);
  }

  private void send(String workKey, String eventKey, SpecificRecord value) {
    Optional<SpecificRecord> sent = Optional.ofNullable(value);
    Sent last = lastSent.get(eventKey);
    Instant now = clock.instant();
    if (last != null && last.value().equals(sent)
        && now.isBefore(last.at().plus(RESEND_UNCHANGED_AFTER))) {
      // The informers' periodic resync re-enqueues every object; a value sent (and not failed)
      // recently is not sent again, so a resync of an unchanged cluster costs the topology
      // nothing. Once a day it is, so the events topic (retained 7 days) always holds every
      // object's latest state for a topology that rebuilds from it.
      return;
    }
    // Recorded when sent, not when acknowledged: the same value published again before the
    // first send's acknowledgement (an update enqueued while its key was being published) is
    // then not sent twice. A failed send takes its record back, so the retry sends it.
    Sent sending = new Sent(sent, now);
    lastSent.put(eventKey, sending);
    producer.send(new ProducerRecord<>(settings.eventsTopic(), eventKey, value), (md, e) -> {
      if (e == null) {
        kafkaHealthy = true;
      } else if (e instanceof RecordTooLargeException && value instanceof PolicyEvent policy) {
        // The same value never fits: retrying it every second forever left the resource without
        // a status and the agent reporting Kafka degraded. It stays recorded as sent (a resync
        // does not try it again) and is withdrawn and reported INVALID instead.
        withdrawOversized(workKey, eventKey, sending, policy, e);
      } else {
        lastSent.remove(eventKey, sending);
        kafkaHealthy = false;
        LOG.warn("cluster {}: could not publish {} ({}); will retry", settings.cluster(),
            eventKey, e.toString());
        if (running) {
          timers.schedule(() -> queue.add(workKey), settings.retryDelay().toMillis(),
              TimeUnit.MILLISECONDS);
        }
      }
    });
  }

  /**
   * A policy whose record is larger than Kafka takes (the API server stores objects up to about
   * 1.5 MB, a Kafka record is 1 MiB by default): a tombstone withdraws whatever version of it the
   * topology holds — an INVALID resource routes nothing, and a valid older version must not keep
   * routing under a status that says otherwise — and the agent writes the INVALID status itself,
   * since the topology never sees the resource. A failed tombstone is retried like any send.
   */
  private void withdrawOversized(String workKey, String eventKey, Sent sending,
      PolicyEvent policy, Exception tooLarge) {
    String why = String.valueOf(tooLarge.getMessage());
    String error = "spec: the resource is too large to publish to Kafka ("
        + (why.length() > 300 ? why.substring(0, 300) + "..." : why) + "); make it smaller";
    LOG.warn("cluster {}: {} {}/{} is not published: {}", settings.cluster(), policy.getKind(),
        policy.getNamespace(), policy.getName(), error);
    producer.send(new ProducerRecord<>(settings.eventsTopic(), eventKey, null), (md, e) -> {
      if (e != null) {
        lastSent.remove(eventKey, sending);
        if (running) {
          timers.schedule(() -> queue.add(workKey), settings.retryDelay().toMillis(),
              TimeUnit.MILLISECONDS);
        }
        return;
      }
      if (running) {
        try {
          // Off the producer's I/O thread: writing the status is an API call.
          timers.execute(() -> statusWriter.accept(OversizedPolicy.status(policy, error,
              clock.instant())));
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // closing: the next start publishes (and refuses) it again
        }
      }
    });
  }

  private void heartbeat() {
    if (!synced) {
      return;
    }
    ClusterHeartbeat hb = ClusterHeartbeat.newBuilder().setAgentVersion(settings.agentVersion())
        .setRegion(settings.region()).setZones(settings.zones()).setLabels(settings.labels())
        .setMeshKind(settings.meshKind()).setTime(clock.instant()).setStartedAt(startedAt)
        .setRestartEpoch(restartEpoch).build();
    producer.send(new ProducerRecord<>(settings.eventsTopic(),
        EventKeys.heartbeat(settings.cluster()), hb), (md, e) -> {
          kafkaHealthy = e == null;
          Runnable announce = onAnnounced;
          if (e == null && announce != null && running) {
            // Off the producer's I/O thread: recording the announcement is an API call (the
            // store does it once; a failed attempt is retried after the next heartbeat).
            try {
              timers.execute(announce);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
              // closing: this start's epoch stays unannounced, and the next start reuses it
            }
          }
        });
  }

  /**
   * The restart epoch heartbeats carry, and what to run once the first heartbeat carrying it
   * reached Kafka (the epoch is then announced). Before {@link #start}.
   */
  public void restartEpoch(long epoch, Runnable onAnnounced) {
    this.restartEpoch = epoch;
    this.onAnnounced = onAnnounced;
  }

  static ServiceSnapshot snapshot(io.fabric8.kubernetes.api.model.Service s) {
    var meta = s.getMetadata();
    List<ServicePort> ports = s.getSpec() == null || s.getSpec().getPorts() == null ? List.of()
        : s.getSpec().getPorts().stream().map(p -> new ServicePort(p.getName(), p.getPort(),
            p.getProtocol() == null ? "TCP" : p.getProtocol(), p.getAppProtocol())).toList();
    return ServiceSnapshot.newBuilder().setNamespace(meta.getNamespace())
        .setName(meta.getName()).setUid(Objects.requireNonNullElse(meta.getUid(), ""))
        .setCreationTimestamp(meta.getCreationTimestamp() == null ? Instant.EPOCH
            : Instant.parse(meta.getCreationTimestamp()))
        .setLabels(meta.getLabels() == null ? Map.of() : meta.getLabels())
        .setPorts(ports).build();
  }

  /** Every slice of the service merged; null (a tombstone) when none is left. */
  private EndpointSnapshot endpoints(String namespace, String service) {
    List<EndpointSlice> all = slices.getIndexer().byIndex(BY_SERVICE, namespace + "/" + service);
    if (all.isEmpty()) {
      return null;
    }
    Map<String, EndpointPort> ports = new LinkedHashMap<>();
    List<Endpoint> endpoints = new ArrayList<>();
    for (EndpointSlice slice : all) {
      if (slice.getPorts() != null) {
        slice.getPorts().forEach(p -> ports.putIfAbsent(String.valueOf(p.getName()),
            new EndpointPort(p.getName(), p.getPort() == null ? 0 : p.getPort(),
                p.getProtocol() == null ? "TCP" : p.getProtocol(), p.getAppProtocol())));
      }
      if (slice.getEndpoints() == null) {
        continue;
      }
      for (var e : slice.getEndpoints()) {
        var c = e.getConditions();
        // EndpointSlice semantics for unset conditions.
        boolean ready = c == null || c.getReady() == null || c.getReady();
        boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
        boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
        endpoints.add(Endpoint.newBuilder().setAddresses(e.getAddresses()).setReady(ready)
            .setServing(serving).setTerminating(terminating).setZone(e.getZone())
            .setNode(e.getNodeName())
            .setTargetName(e.getTargetRef() == null ? null : e.getTargetRef().getName())
            .build());
      }
    }
    endpoints.sort(java.util.Comparator.comparing(e -> String.join(",", e.getAddresses())));
    return EndpointSnapshot.newBuilder().setNamespace(namespace).setServiceName(service)
        .setPorts(new ArrayList<>(ports.values())).setEndpoints(endpoints).build();
  }

  private static Optional<String> serviceOf(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    return Optional.ofNullable(labels == null ? null : labels.get("kubernetes.io/service-name"));
  }

  @Override
  public void close() {
    running = false;
    queue.shutDown();
    timers.shutdownNow();
    informers.forEach(SharedIndexInformer::stop);
    members.values().forEach(SharedIndexInformer::stop);
    try {
      worker.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
