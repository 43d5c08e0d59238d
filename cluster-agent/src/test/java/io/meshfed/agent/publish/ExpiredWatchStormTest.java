package io.meshfed.agent.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.meshfed.avro.MeshKind;
import io.meshfed.avro.ServiceSnapshot;
import io.meshfed.topics.EventKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The fault suite's expired-watch storm: the API server ends every watch of Services with
 * "410 Gone" (the resource version expired, as after an etcd compaction) until at least 50
 * have expired, while Services are created, changed and deleted. The informer must list again
 * each time, and what the agent publishes must end as the cluster's state: the last record per
 * Service key is its current snapshot, a tombstone for each deleted one, nothing missing.
 * The producer is a MockProducer: the path to Kafka is another test's (ClosedWatchTest).
 *
 * <p>A fault run, not part of the suite: {@code mvn -pl cluster-agent test
 * -Dtest=ExpiredWatchStormTest -Dmeshfed.faults=true}. In the first clean-clone CI run the storm
 * took 512 s to reach 50 expirations and then missed a change for 60 s; found on 2026-12-03 to be
 * this test's race, not the agent's (see {@link Storm}): the storm refused only watches that
 * started after it, and the informer's watch was often already open.
 */
@EnabledIfSystemProperty(named = "meshfed.faults", matches = "true",
    disabledReason = "a fault run (-Dmeshfed.faults=true); see the class comment")
class ExpiredWatchStormTest {

  static final int EXPIRED = 50;

  /**
   * While on, every watch of Services ends with 410 Gone: one that starts is refused with it,
   * and the ones already open when the storm begins get it as an ERROR event, as a real API
   * server ends a live watch whose resource version was compacted away. Without the second, a
   * watch established before the storm never expired and the loop below ran until the build's
   * timeout (a run on 2026-12-03: 771 Services created, no 410; the first clean-clone CI run's
   * 512 s to reach 50 was the same race).
   */
  static final class Storm extends KubernetesCrudDispatcher {
    static final String GONE = "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
        + "\"status\":\"Failure\",\"reason\":\"Expired\","
        + "\"message\":\"too old resource version\",\"code\":410}";
    final AtomicInteger expired = new AtomicInteger();
    /** The sockets of the Services watches open now (the mock's own listener is not public). */
    private final Set<WebSocket> openWatches = ConcurrentHashMap.newKeySet();
    private volatile boolean on;

    void start() {
      on = true;
      for (WebSocket watch : openWatches) {
        watch.send("{\"type\":\"ERROR\",\"object\":" + GONE + "}");
        expired.incrementAndGet();
      }
    }

    void stop() {
      on = false;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      String path = request.getPath();
      if (on && path.contains("watch=true") && path.startsWith("/api/v1/services")) {
        expired.incrementAndGet();
        return new MockResponse().setResponseCode(410).setBody(GONE);
      }
      return super.dispatch(request);
    }

    @Override
    public MockResponse handleWatch(String path) {
      MockResponse response = super.handleWatch(path);
      if (!path.startsWith("/api/v1/services")) {
        return response;
      }
      WebSocketListener mock = response.getWebSocketListener();
      return response.withWebSocketUpgrade(new WebSocketListener() {
        @Override
        public void onOpen(WebSocket webSocket, Response r) {
          openWatches.add(webSocket);
          mock.onOpen(webSocket, r);
        }

        @Override
        public void onMessage(WebSocket webSocket, String text) {
          mock.onMessage(webSocket, text);
        }

        @Override
        public void onClosing(WebSocket webSocket, int code, String reason) {
          openWatches.remove(webSocket);
          mock.onClosing(webSocket, code, reason);
        }

        @Override
        public void onClosed(WebSocket webSocket, int code, String reason) {
          openWatches.remove(webSocket);
          mock.onClosed(webSocket, code, reason);
        }

        @Override
        public void onFailure(WebSocket webSocket, Throwable error, Response r) {
          openWatches.remove(webSocket);
          mock.onFailure(webSocket, error, r);
        }
      });
    }
  }

  private final Storm storm = new Storm();
  private final KubernetesMockServer server = new KubernetesMockServer(new Context(),
      new MockWebServer(), new HashMap<>(), storm, false);
  private KubernetesClient client;
  private ClusterPublisher publisher;

  @AfterEach
  void stop() {
    if (publisher != null) {
      publisher.close();
    }
    client.close();
    server.destroy();
  }

  private static Service service(String name, int port) {
    return new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withName(name)
        .withNamespace("bookinfo").build()).withNewSpec().addNewPort().withPort(port).endPort()
        .endSpec().build();
  }

  @Test
  void fiftyExpiredWatchesLoseNoChange() {
    server.init();
    // The informer waits its reconnect interval (1 s, doubling) after a watch that failed to
    // start; 10 ms here, so that fifty expirations take seconds. What is tested is that no
    // change is lost, not how soon the informer retries.
    client = server.createClient(b -> b.editOrNewConfig().withWatchReconnectInterval(10)
        .withWatchReconnectLimit(-1).endConfig());
    MockProducer<String, SpecificRecord> producer = new MockProducer<>(true, null,
        new StringSerializer(), (topic, value) -> new byte[0]);
    publisher = new ClusterPublisher(client, producer, new ClusterPublisher.Settings("c1",
        "meshfed.cluster.c1.events", false, "test", null, List.of(), Map.of(), MeshKind.ISTIO,
        Duration.ofHours(1), Duration.ofMinutes(5), Duration.ofMillis(100)),
        Clock.systemUTC()).start();
    await().atMost(Duration.ofSeconds(60)).until(publisher::isSynced);

    // What the cluster holds at the end: name -> port, or absent (deleted).
    Map<String, Integer> expected = new LinkedHashMap<>();
    storm.start();
    int step = 0;
    while (storm.expired.get() < EXPIRED || step < 30) {
      String name = "svc-" + (step % 12);
      Integer current = expected.get(name);
      var resource = client.services().inNamespace("bookinfo").withName(name);
      if (current == null) {
        resource.create(service(name, 9000 + step));
        expected.put(name, 9000 + step);
      } else if (step % 3 == 0) {
        resource.delete();
        expected.remove(name);
      } else {
        int port = 9000 + step;
        resource.edit(s -> new ServiceBuilder(s).editSpec().editFirstPort()
            .withPort(port).endPort().endSpec().build());
        expected.put(name, 9000 + step);
      }
      step++;
      // A change at most every 50 ms, so that lists land between them.
      await().pollDelay(Duration.ofMillis(50)).until(() -> true);
    }
    storm.stop();
    assertThat(storm.expired.get()).isGreaterThanOrEqualTo(EXPIRED);
    // After the storm, one more change must arrive through a watch that works again.
    client.services().inNamespace("bookinfo").resource(service("after", 8080)).create();
    expected.put("after", 8080);

    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      Map<String, Integer> published = lastPublished(producer);
      for (int i = 0; i < 12; i++) {
        String name = "svc-" + i;
        if (!expected.containsKey(name) && !published.containsKey(name)) {
          continue; // never created
        }
        assertThat(published.get(name)).as(name).isEqualTo(expected.getOrDefault(name, -1));
      }
      assertThat(published.get("after")).isEqualTo(8080);
    });
  }

  /** Last published port per Service name; -1 for a tombstone. */
  private static Map<String, Integer> lastPublished(MockProducer<String, SpecificRecord> p) {
    Map<String, Integer> last = new HashMap<>();
    for (ProducerRecord<String, SpecificRecord> r : p.history()) {
      for (String name : names(r.key())) {
        last.put(name, r.value() == null ? -1
            : ((ServiceSnapshot) r.value()).getPorts().get(0).getNumber());
      }
    }
    return last;
  }

  private static List<String> names(String key) {
    for (int i = 0; i < 12; i++) {
      if (key.equals(EventKeys.service("c1", "bookinfo", "svc-" + i))) {
        return List.of("svc-" + i);
      }
    }
    return key.equals(EventKeys.service("c1", "bookinfo", "after")) ? List.of("after")
        : List.of();
  }
}
