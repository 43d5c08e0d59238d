package io.meshfed.testing;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fabric8 mock API server's CRUD dispatcher (kubernetes-server-mock 7.8.0) with one change:
 * a watch that ends never blocks the server's event loop.
 *
 * <p>Why (bad-resources at its full 10,000 stalled on it; bench/results/faults.md). The mock
 * server runs every request and every WebSocket callback on one vert.x event-loop thread. Each
 * watch is a {@code WatchEventsListener} with its own single-thread executor that sends the
 * watch's events, and every send ({@code VertxMockWebSocket.send}) waits up to 30 s for its
 * vert.x write to complete — a write only the event loop completes. When the watch ends
 * ({@code onClosed}, or {@code onFailure} when the client drops the connection) the listener,
 * on the event loop, shuts its executor down and waits up to a minute for it to finish. If a
 * send is in flight or queued then, each waits for the event loop that is waiting for it: the
 * server stands still until the send's 30 s bound runs out, every API request included. A send
 * is in flight at a close whenever the watch has a backlog, and the CRUD mock replays every
 * existing resource of the watched kind as ADDED on each new watch (it ignores
 * resourceVersion), so the backlogs grow with the store. The closes come from the agent's
 * informers themselves: a fabric8 informer ends its watch every 5–10 minutes
 * ({@code Reflector}'s watch timeout, client side) and starts another, and the client drops
 * the connection when the server's close frame, queued behind the backlog, does not come.
 * With a dozen informers that is a close every minute or so, each a stall once the store is
 * big: from ~7,700 resources the class crawled.
 *
 * <p>The change: {@code onClosed} and {@code onFailure} first unregister the watch (on the
 * event loop, so that no event is handed to an executor being shut down — the original does
 * that last, still on the event loop) and then run the original callback on a closer thread,
 * where its wait is harmless: the event loop is free to finish or fail the pending writes.
 * Everything else — storage, patches, the events every live watch gets, the initial replay —
 * is the original's. Nothing a client sees changes except that the server keeps answering.
 *
 * <p>The superclass keeps its watches in a private set; it is reached by reflection (the class
 * fails at construction if a fabric8 upgrade renames it, rather than silently not working).
 */
public class OffLoopCloseCrudDispatcher extends KubernetesCrudDispatcher {

  private final Set<?> watches;
  /** The sockets of the watches open now, for {@link #endOpenWatches}. */
  private final Set<WebSocket> openSockets = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final ExecutorService closer = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "mock-api-watch-closer");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong closed = new AtomicLong();
  private final AtomicLong finished = new AtomicLong();
  private final Map<String, Long> failed = new TreeMap<>();

  public OffLoopCloseCrudDispatcher() {
    try {
      Field f = KubernetesCrudDispatcher.class.getDeclaredField("watchEventListeners");
      f.setAccessible(true);
      this.watches = (Set<?>) f.get(this);
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalStateException("kubernetes-server-mock changed: its watch registry"
          + " is not where OffLoopCloseCrudDispatcher expects it", e);
    }
  }

  @Override
  public MockResponse handleWatch(String path) {
    MockResponse response = super.handleWatch(path);
    opened.incrementAndGet();
    return response.withWebSocketUpgrade(new OffLoopClose(response.getWebSocketListener()));
  }

  @Override
  public void releaseResources() {
    super.releaseResources();
    closer.shutdown();
  }

  /** Runs a watch's ending on the closer; inline (as the original does) once it is shut down. */
  private void offLoop(Runnable ending) {
    Runnable counted = () -> {
      ending.run();
      finished.incrementAndGet();
    };
    try {
      closer.execute(counted);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      counted.run();
    }
  }

  /**
   * Ends every open watch with {@code event} (a watch event's JSON, such as an ERROR carrying a
   * 410 Gone Status, as a real API server ends a live watch whose resource version was
   * compacted away); the number of watches it went to.
   */
  public int endOpenWatches(String event) {
    int sent = 0;
    for (WebSocket socket : openSockets) {
      if (socket.send(event)) {
        sent++;
      }
    }
    return sent;
  }

  /** Endings whose original callback has returned: the watch's executor has terminated. */
  public long endingsFinished() {
    return finished.get();
  }

  /** Watches opened, ended cleanly, and failed per cause, for the class's notes. */
  public synchronized String summary() {
    return String.format("%d watches opened on it, %d ended with a close"
        + " handshake, failed: %s", opened.get(), closed.get(), failed);
  }

  private synchronized void countFailure(Throwable t) {
    String cause = t.getClass().getSimpleName() + ": " + t.getMessage();
    failed.merge(cause.length() > 100 ? cause.substring(0, 100) + "…" : cause, 1L, Long::sum);
  }

  /** The original watch listener, with its ending moved off the event loop. */
  private final class OffLoopClose extends WebSocketListener {
    private final WebSocketListener watch;

    OffLoopClose(WebSocketListener watch) {
      this.watch = watch;
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      watch.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      openSockets.add(webSocket);
      watch.onOpen(webSocket, response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      watch.onMessage(webSocket, text);
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] bytes) {
      watch.onMessage(webSocket, bytes);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      openSockets.remove(webSocket);
      // Non-blocking in the original: queues the close behind the pending sends.
      watch.onClosing(webSocket, code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      closed.incrementAndGet();
      openSockets.remove(webSocket);
      watches.remove(watch);
      offLoop(() -> watch.onClosed(webSocket, code, reason));
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable error, Response response) {
      countFailure(error);
      openSockets.remove(webSocket);
      watches.remove(watch);
      offLoop(() -> watch.onFailure(webSocket, error, response));
    }
  }
}
