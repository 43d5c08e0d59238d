package io.meshfed.topology.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The one line, said once per RUNNING period and only when every store is near its end. */
class RedundancyWatchTest {

  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(RedundancyWatch.class);

  @BeforeEach
  void capture() {
    logged.start();
    logger.addAppender(logged);
  }

  @AfterEach
  void release() {
    logger.detachAppender(logged);
  }

  private static RedundancyWatch.Holding lags(long... perPartition) {
    return new RedundancyWatch.Holding(3, perPartition.length - 1,
        java.util.Arrays.stream(perPartition).boxed().toList());
  }

  private List<String> lines() {
    return logged.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith(RedundancyWatch.CAUGHT_UP)).toList();
  }

  @Test
  void saysItOnceWhenEveryStoreHasCaughtUpAndAgainAfterTheNextRebalance() {
    AtomicReference<RedundancyWatch.Holding> now =
        new AtomicReference<>(lags(0, 50_000));
    try (RedundancyWatch watch = new RedundancyWatch(now::get, "test")) {
      watch.tick(); // not RUNNING yet: nothing asked, nothing said
      watch.onStateChange(KafkaStreams.State.RUNNING);
      watch.tick(); // a standby 50,000 records behind: not yet
      assertThat(lines()).isEmpty();
      now.set(lags(0, RedundancyWatch.CAUGHT_UP_LAG));
      watch.tick();
      watch.tick();
      assertThat(lines()).containsExactly(RedundancyWatch.CAUGHT_UP + " (3 active and 1 standby"
          + " tasks, 2 store partitions, at most 100 records behind): a peer's crash is now a"
          + " takeover, not a restore");
      // A rebalance hands over a store that must be rebuilt: said again once it is.
      watch.onStateChange(KafkaStreams.State.REBALANCING);
      now.set(lags(0, 0, 9_000));
      watch.onStateChange(KafkaStreams.State.RUNNING);
      watch.tick();
      assertThat(lines()).hasSize(1);
      now.set(lags(0, 0, 0));
      watch.tick();
      assertThat(lines()).hasSize(2);
    }
  }

  @Test
  void lagsNotAvailableYetAreAskedAgainNotAFailure() {
    AtomicReference<Boolean> available = new AtomicReference<>(false);
    try (RedundancyWatch watch = new RedundancyWatch(() -> {
      if (!available.get()) {
        throw new IllegalStateException("KafkaStreams is not running");
      }
      return lags(0);
    }, "test")) {
      watch.onStateChange(KafkaStreams.State.RUNNING);
      watch.tick();
      assertThat(lines()).isEmpty();
      available.set(true);
      watch.tick();
      assertThat(lines()).hasSize(1);
    }
  }
}
