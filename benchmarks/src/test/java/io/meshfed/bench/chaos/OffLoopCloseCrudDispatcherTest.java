package io.meshfed.bench.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.meshfed.testing.OffLoopCloseCrudDispatcher;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link OffLoopCloseCrudDispatcher}: a watch that ends while the mock API server still has
 * events to send it must not hold the thread that ends it (the server's only event loop, the
 * bad-resources class's stall at ~7,700 resources), and must stop getting events at once.
 */
class OffLoopCloseCrudDispatcherTest {

  private static final String NS = "watch-close";

  /**
   * The stall, without its timing: the watch's send is made to wait (in the server it waits
   * for the event loop) and the watch then fails, as on a dropped connection. The ending must
   * return while the send still waits, and a create right after must neither fail nor reach
   * the ended watch. With kubernetes-server-mock's own {@code KubernetesCrudDispatcher}
   * ({@code new KubernetesCrudDispatcher()} below) {@code onFailure} waits for the send, up
   * to a minute, and the create meanwhile answers 500 (its event cannot be queued any more).
   */
  @ParameterizedTest
  @ValueSource(strings = {"onFailure", "onClosed"})
  void anEndingWatchDoesNotWaitForItsSends(String ending) throws Exception {
    OffLoopCloseCrudDispatcher dispatcher = new OffLoopCloseCrudDispatcher();
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
        new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    CountDownLatch release = new CountDownLatch(1);
    try (KubernetesClient client = server.createClient()) {
      client.configMaps().inNamespace(NS).resource(configMap("cm-0", "x")).create();
      List<String> sent = new CopyOnWriteArrayList<>();
      WaitingSocket socket = new WaitingSocket(sent, release);
      WebSocketListener watch = dispatcher.handleWatch("/api/v1/namespaces/" + NS
          + "/configmaps?watch=true").getWebSocketListener();
      watch.onOpen(socket, null);
      // The initial replay's send of cm-0 is in flight and waits.
      await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
      CompletableFuture<Void> ended = CompletableFuture.runAsync(() -> {
        if (ending.equals("onFailure")) {
          watch.onFailure(socket, new java.io.IOException("Connection reset"), null);
        } else {
          watch.onClosed(socket, 1000, null);
        }
      });
      await().atMost(Duration.ofSeconds(10)).until(ended::isDone);
      assertThat(release.getCount()).as("the send still waits").isEqualTo(1);
      client.configMaps().inNamespace(NS).resource(configMap("cm-1", "y")).create();
      release.countDown();
      // The ended watch's executor finishes (its sends no longer wait); the socket is closed.
      await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.endingsFinished() == 1);
      assertThat(socket.closed).isTrue();
      assertThat(sent).hasSize(1).noneMatch(m -> m.contains("cm-1"));
      assertThat(dispatcher.summary()).contains("1 watches opened on it");
    } finally {
      release.countDown();
      server.destroy();
    }
  }

  /** A server-side socket whose sends wait for {@code release}, as a send waits for the loop. */
  private static final class WaitingSocket implements WebSocket {
    private final List<String> sent;
    private final CountDownLatch release;
    volatile boolean closed;

    WaitingSocket(List<String> sent, CountDownLatch release) {
      this.sent = sent;
      this.release = release;
    }

    @Override
    public RecordedRequest request() {
      return null;
    }

    @Override
    public boolean send(String text) {
      sent.add(text);
      try {
        return release.await(1, TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    @Override
    public boolean send(byte[] bytes) {
      return send(new String(bytes, StandardCharsets.UTF_8));
    }

    @Override
    public boolean close(int code, String reason) {
      closed = true;
      return true;
    }
  }

  /**
   * Through a real server: raw WebSocket watches over 5 MB of ConfigMaps (the CRUD mock replays
   * them all) end mid-replay, with a TCP reset (the server's {@code onFailure}) or a close
   * frame (its close handshake, {@code onClosed}); the server goes on answering and a live
   * watch goes on getting events.
   */
  @ParameterizedTest
  @ValueSource(strings = {"reset", "close-frame"})
  void aWatchEndingWithABacklogDoesNotStopTheServer(String ending) throws Exception {
    KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(),
        new HashMap<>(), new OffLoopCloseCrudDispatcher(), false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    try (KubernetesClient client = server.createClient()) {
      String data = "x".repeat(256 * 1024);
      for (int i = 0; i < 20; i++) {
        client.configMaps().inNamespace(NS).resource(configMap("cm-" + i, data)).create();
      }
      List<String> seen = new CopyOnWriteArrayList<>();
      try (Watch live = client.configMaps().inNamespace(NS).watch(new Watcher<ConfigMap>() {
        @Override
        public void eventReceived(Action action, ConfigMap resource) {
          seen.add(action + " " + resource.getMetadata().getName());
        }

        @Override
        public void onClose(WatcherException cause) {
        }
      })) {
        for (int round = 0; round < 2; round++) {
          endWatchMidReplay(server.getPort(), ending);
          assertServerAnswers(client, seen, ending + "-" + round);
        }
      }
    } finally {
      server.destroy();
    }
  }

  /**
   * Opens a watch over the ConfigMaps and reads its replay as fast as it comes (so that the
   * server's watch executor always has a write queued on the event loop) until 1 MB has come,
   * then ends it.
   */
  private static void endWatchMidReplay(int port, String ending) throws Exception {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    OutputStream out = socket.getOutputStream();
    out.write(("GET /api/v1/namespaces/" + NS + "/configmaps?watch=true HTTP/1.1\r\n"
        + "Host: localhost:" + port + "\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    assertThat(headers(in)).startsWith("HTTP/1.1 101");
    byte[] buf = new byte[64 * 1024];
    long read = 0;
    while (read < 1024 * 1024) {
      int n = in.read(buf);
      assertThat(n).isNotNegative();
      read += n;
    }
    if (ending.equals("reset")) {
      socket.setSoLinger(true, 0);
      socket.close();
    } else {
      // A masked close frame, code 1000; then the client goes on reading until the server
      // closes, as a client does after its close.
      out.write(new byte[] {(byte) 0x88, (byte) 0x82, 0, 0, 0, 0, 0x03, (byte) 0xE8});
      out.flush();
      Thread drain = new Thread(() -> {
        try (socket) {
          while (in.read(buf) >= 0) {
            // drained
          }
        } catch (java.io.IOException e) {
          // ended
        }
      }, "drain");
      drain.setDaemon(true);
      drain.start();
    }
  }

  /** A GET answered (the client's 10 s timeout would throw) and a create seen by the watch. */
  private static void assertServerAnswers(KubernetesClient client, List<String> seen,
      String ending) {
    // Twice, so that the second runs after the server has handled the ending for sure.
    for (String name : List.of("after-" + ending + "-1", "after-" + ending + "-2")) {
      assertThat(client.configMaps().inNamespace(NS).withName("cm-0").get()).isNotNull();
      client.configMaps().inNamespace(NS).resource(configMap(name, "y")).create();
      await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains("ADDED " + name));
    }
  }

  private static ConfigMap configMap(String name, String data) {
    return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(NS)
        .endMetadata().withData(Map.of("data", data)).build();
  }

  private static String headers(InputStream in) throws java.io.IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      buf.write(b);
      String s = buf.toString(StandardCharsets.US_ASCII);
      if (s.endsWith("\r\n\r\n")) {
        return s;
      }
    }
    return buf.toString(StandardCharsets.US_ASCII);
  }
}
