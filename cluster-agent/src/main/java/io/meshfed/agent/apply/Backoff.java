package io.meshfed.agent.apply;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Retry with exponential backoff, as Istio's pilot agent does: 200 ms, doubling, 10 tries by
 * default; never sooner than the server's Retry-After (see {@link #retryAfter}). The sleeper is injectable so tests run without waiting.
 */
public record Backoff(Duration initial, int maxTries, Sleeper sleeper) {

  /** Waits between tries. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  public static final Backoff ISTIO_AGENT =
      new Backoff(Duration.ofMillis(200), 10, d -> Thread.sleep(d.toMillis()));

  /**
   * Status writes on the config follower's thread: five tries (about 3 s, longer when the
   * server asks with Retry-After), so that a flaky API server does not lose a status, nor hold
   * the next config's apply for the ten tries' 100 s.
   */
  public static final Backoff STATUS =
      new Backoff(Duration.ofMillis(200), 5, d -> Thread.sleep(d.toMillis()));

  /**
   * The API errors worth another try: 409 Conflict (someone wrote in between: the caller reads
   * again), 429, 5xx, and no HTTP answer at all — a request timeout (a hanging API server), a
   * refused or reset connection, which fabric8 reports as code -1 (0 was checked before, and a
   * hanging server was never retried).
   */
  public static boolean retryable(Exception e) {
    if (e instanceof io.fabric8.kubernetes.client.KubernetesClientException k) {
      int code = k.getCode();
      return code == 409 || code == 429 || code >= 500 || code <= 0;
    }
    return false;
  }

  /** The longest wait a server's Retry-After may ask for; beyond it, the backoff's own. */
  static final Duration MAX_RETRY_AFTER = Duration.ofSeconds(60);

  /**
   * What the API server asked for: a 429 (or 503) carries {@code details.retryAfterSeconds}
   * in its Status, mirroring its Retry-After header. Retrying sooner only earns another 429
   * (API priority and fairness sheds exactly the clients that do), so the backoff waits at
   * least that long, capped at {@link #MAX_RETRY_AFTER}. Zero when the error says nothing.
   */
  static Duration retryAfter(Exception e) {
    if (e instanceof io.fabric8.kubernetes.client.KubernetesClientException k
        && k.getStatus() != null && k.getStatus().getDetails() != null
        && k.getStatus().getDetails().getRetryAfterSeconds() != null
        && k.getStatus().getDetails().getRetryAfterSeconds() > 0) {
      Duration asked = Duration.ofSeconds(k.getStatus().getDetails().getRetryAfterSeconds());
      return asked.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : asked;
    }
    return Duration.ZERO;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** Runs {@code call}, retrying failures {@code retryable} accepts; rethrows the last one. */
  public <T> T run(Callable<T> call, Predicate<Exception> retryable) throws Exception {
    Duration wait = initial;
    for (int attempt = 1; ; attempt++) {
      try {
        return call.call();
      } catch (Exception e) {
        if (attempt >= maxTries || !retryable.test(e)) {
          throw e;
        }
        sleeper.sleep(max(wait, retryAfter(e)));
        wait = wait.multipliedBy(2);
      }
    }
  }
}
