package io.meshfed.agent.apply;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Retry with exponential backoff, as Istio's pilot agent does: 200 ms, doubling, 10 tries by
 * default. The sleeper is injectable so tests run without waiting.
 */
public record Backoff(Duration initial, int maxTries, Sleeper sleeper) {

  /** Waits between tries. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  public static final Backoff ISTIO_AGENT =
      new Backoff(Duration.ofMillis(200), 10, d -> Thread.sleep(d.toMillis()));

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
        sleeper.sleep(wait);
        wait = wait.multipliedBy(2);
      }
    }
  }
}
