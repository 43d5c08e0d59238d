package io.meshfed.bench.chaos;

import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.meshfed.testing.OffLoopCloseCrudDispatcher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mock API server of the {@code api-faults} class: the CRUD dispatcher with watch endings
 * off its event loop ({@link OffLoopCloseCrudDispatcher}) that, while {@link #on}, answers the
 * agent's requests with faults, as an overloaded or failing API server does:
 *
 * <ul>
 *   <li>every second update (PUT): 409 Conflict, as when someone else wrote in between;
 *   <li>every third other request (GET, LIST, POST, DELETE, PATCH), in turn: 500, no answer
 *       at all (a hanging server: the work is done, the answer never comes, and the client's
 *       request timeout ends the wait) and 429 Too Many Requests with {@code Retry-After}
 *       (header and {@code details.retryAfterSeconds});
 *   <li>every second watch that starts: 410 Gone ("too old resource version", as after an etcd
 *       compaction); and {@link #expireOpenWatches} ends the watches open at that moment with
 *       an ERROR event carrying the same Status, as a real server ends a live watch.
 * </ul>
 *
 * <p>Requests whose User-Agent is {@link #HARNESS_AGENT} (the class's own client, which sets
 * up, changes and reads the cluster) are never faulted. Counts per fault are kept for the row.
 */
final class ApiFaultServer extends OffLoopCloseCrudDispatcher {

  static final String HARNESS_AGENT = "meshfed-chaos-harness";
  static final List<String> KINDS = List.of("409", "429", "500", "hang", "410");
  static final int RETRY_AFTER_SECONDS = 2;
  /** How long a hanging answer is held back: longer than any client waits. */
  static final Duration HANG = Duration.ofMinutes(5);
  static final String GONE = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
      + "\"reason\":\"Expired\",\"message\":\"too old resource version\",\"code\":410}";

  volatile boolean on;
  private final AtomicLong puts = new AtomicLong();
  private final AtomicLong others = new AtomicLong();
  private final AtomicLong watchStarts = new AtomicLong();
  private final Map<String, AtomicLong> injected = new TreeMap<>();

  ApiFaultServer() {
    KINDS.forEach(k -> injected.put(k, new AtomicLong()));
  }

  long injected(String kind) {
    return injected.get(kind).get();
  }

  /** Each fault's count so far, in {@link #KINDS}' order. */
  Map<String, Long> counts() {
    Map<String, Long> out = new java.util.LinkedHashMap<>();
    KINDS.forEach(k -> out.put(k, injected(k)));
    return out;
  }

  /** Whether every fault was injected at least {@code n} times. */
  boolean atLeast(long n) {
    return KINDS.stream().allMatch(k -> injected(k) >= n);
  }

  /** Ends every watch open now with 410 Gone; counted as 410s. */
  void expireOpenWatches() {
    injected.get("410").addAndGet(endOpenWatches("{\"type\":\"ERROR\",\"object\":" + GONE
        + "}"));
  }

  /** The fault this request gets, or null: by its kind's count, as the class comment says. */
  private String faultFor(RecordedRequest request) {
    if (!on || HARNESS_AGENT.equals(request.getHeader("User-Agent"))) {
      return null;
    }
    if (request.getPath().contains("watch=true")) {
      return watchStarts.incrementAndGet() % 2 == 0 ? "410" : null;
    }
    if (request.getMethod().equals("PUT")) {
      return puts.incrementAndGet() % 2 == 0 ? "409" : null;
    }
    long n = others.incrementAndGet();
    return n % 3 == 0 ? List.of("429", "500", "hang").get((int) ((n / 3) % 3)) : null;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    String kind = faultFor(request);
    if (kind == null) {
      return super.dispatch(request);
    }
    injected.get(kind).incrementAndGet();
    return switch (kind) {
      case "410" -> new MockResponse().setResponseCode(410).setBody(GONE);
      case "429" -> status(429, "TooManyRequests", ",\"details\":{\"retryAfterSeconds\":"
          + RETRY_AFTER_SECONDS + "}").setHeader("Retry-After", RETRY_AFTER_SECONDS);
      // The server does the work and the answer never comes: a write that happened although
      // the client saw a timeout.
      case "hang" -> super.dispatch(request).setBodyDelay(HANG);
      case "409" -> status(409, "Conflict", "");
      default -> status(500, "InternalError", "");
    };
  }

  private static MockResponse status(int code, String reason, String extra) {
    return new MockResponse().setResponseCode(code).setBody("{\"kind\":\"Status\","
        + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"" + reason + "\","
        + "\"code\":" + code + extra + "}");
  }
}
