package io.meshfed.connectors.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Endpoint "pods" on loopback, each exposing Istio's standard request counter the way an Envoy
 * sidecar's /stats/prometheus does: {@code istio_requests_total} by {@code response_code}. Every
 * scrape counts ten more requests, all 503 while the pod is failing and all 200 otherwise, so
 * the 5xx rate is exactly what the test says.
 */
public final class MeshWorkload implements AutoCloseable {

  /** One pod: its metrics server and whether it currently fails. */
  public static final class Pod implements AutoCloseable {
    private final String podIp;
    private final AtomicBoolean failing = new AtomicBoolean();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final LoopbackHttpServer server;

    Pod(String podIp, String workload) {
      this.podIp = podIp;
      this.server = new LoopbackHttpServer(exchange -> {
        (failing.get() ? errors : ok).addAndGet(10);
        String common = "reporter=\"destination\",destination_workload=\"" + workload + "\"";
        String body = "# HELP istio_requests_total Total requests.\n"
            + "# TYPE istio_requests_total counter\n"
            + "istio_requests_total{" + common + ",response_code=\"200\"} " + ok.get() + "\n"
            + "istio_requests_total{" + common + ",response_code=\"503\"} " + errors.get() + "\n";
        LoopbackHttpServer.respond(exchange, 200, "text/plain; version=0.0.4", body);
      });
    }

    public String podIp() {
      return podIp;
    }

    public String metricsHostPort() {
      return "127.0.0.1:" + server.port();
    }

    public void setFailing(boolean isFailing) {
      failing.set(isFailing);
    }

    @Override
    public void close() {
      server.close();
    }
  }

  private final List<Pod> pods = new ArrayList<>();
  private final List<PrometheusProcess.Target> targets = new ArrayList<>();

  /** Adds a pod of {@code service}; the labels are those Kubernetes SD relabelling would give. */
  public Pod addPod(String cluster, String namespace, String service, String workload,
      String podIp) {
    Pod pod = new Pod(podIp, workload);
    pods.add(pod);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("cluster", cluster);
    labels.put("namespace", namespace);
    labels.put("service", service);
    labels.put("pod_ip", podIp);
    targets.add(new PrometheusProcess.Target(pod.metricsHostPort(), labels));
    return pod;
  }

  public List<PrometheusProcess.Target> targets() {
    return List.copyOf(targets);
  }

  /** The 5xx ratio per pod over the window, as the connector's README example query has it. */
  public static String errorRatioQuery() {
    String by = "sum by (cluster, namespace, service, pod_ip) ";
    return by + "(rate(istio_requests_total{reporter=\"destination\",response_code=~\"5..\"}[{{window}}]))"
        + " / " + by + "(rate(istio_requests_total{reporter=\"destination\"}[{{window}}]))";
  }

  @Override
  public void close() {
    pods.forEach(Pod::close);
  }
}
