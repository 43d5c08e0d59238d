package io.meshfed.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link ApiFaultServer}, the api-faults class's API server: which request gets which fault,
 * that each is counted, and that the harness's own client is never faulted.
 */
class ApiFaultServerTest {

  private static ConfigMap map(String name) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace("f")
        .endMetadata().addToData("k", name).build();
  }

  @Test
  void faultsComeInTheirTurnAreCountedAndSpareTheHarness() throws Exception {
    ApiFaultServer faults = new ApiFaultServer();
    try (MockCluster cluster = new MockCluster(faults)) {
      KubernetesClient agent = cluster.agentClient(Duration.ofMillis(500));
      var maps = agent.configMaps().inNamespace("f");
      cluster.client.configMaps().inNamespace("f").resource(map("a")).create();
      faults.on = true;

      // Others (GET here): every third faulted, with 500, no answer and 429 in turn.
      List<String> answers = new ArrayList<>();
      KubernetesClientException tooMany = null;
      for (int i = 0; i < 18; i++) {
        try {
          maps.withName("a").get();
          answers.add("ok");
        } catch (KubernetesClientException e) {
          answers.add(e.getCode() == 429 || e.getCode() == 500 ? String.valueOf(e.getCode())
              : e.getCode() <= 0 ? "no answer" : "unexpected " + e.getCode());
          tooMany = e.getCode() == 429 ? e : tooMany;
        }
      }
      assertThat(answers).containsExactly("ok", "ok", "500", "ok", "ok", "no answer",
          "ok", "ok", "429", "ok", "ok", "500", "ok", "ok", "no answer", "ok", "ok", "429");
      assertThat(tooMany.getStatus().getDetails().getRetryAfterSeconds())
          .isEqualTo(ApiFaultServer.RETRY_AFTER_SECONDS);

      // Updates: every second one 409 Conflict.
      ConfigMap live = cluster.client.configMaps().inNamespace("f").withName("a").get();
      List<Integer> puts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        try {
          maps.resource(live).update();
          puts.add(200);
        } catch (KubernetesClientException e) {
          puts.add(e.getCode());
        }
        live = cluster.client.configMaps().inNamespace("f").withName("a").get();
      }
      assertThat(puts).containsExactly(200, 409, 200, 409);

      // Watches: every second start refused with 410; an open one ended with an ERROR 410.
      CompletableFuture<WatcherException> first = new CompletableFuture<>();
      CompletableFuture<WatcherException> second = new CompletableFuture<>();
      maps.watch(watcher(first));
      Throwable refused = catchThrowableOfType(KubernetesClientException.class,
          () -> maps.watch(watcher(second)));
      if (refused == null) { // refused after the start returned: the watch ends with it
        await().atMost(Duration.ofSeconds(10)).until(second::isDone);
        assertThat(second.get()).isNotNull();
      }
      assertThat(faults.injected("410")).isEqualTo(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        faults.expireOpenWatches();
        return first.isDone();
      });
      assertThat(first.get().isHttpGone()).isTrue();

      // The harness is never faulted, whatever it asks.
      for (int i = 0; i < 12; i++) {
        assertThat(cluster.client.configMaps().inNamespace("f").withName("a").get())
            .isNotNull();
      }
      assertThat(faults.injected("429")).isEqualTo(2);
      assertThat(faults.injected("500")).isEqualTo(2);
      assertThat(faults.injected("hang")).isEqualTo(2);
      assertThat(faults.injected("409")).isEqualTo(2);
      assertThat(faults.injected("410")).isGreaterThanOrEqualTo(2);
      assertThat(faults.atLeast(2)).isTrue();
      assertThat(faults.atLeast(3)).isFalse();
    }
  }

  private static Watcher<ConfigMap> watcher(CompletableFuture<WatcherException> closed) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, ConfigMap resource) {
        // only the ending matters here
      }

      @Override
      public void onClose(WatcherException cause) {
        closed.complete(cause);
      }
    };
  }
}
