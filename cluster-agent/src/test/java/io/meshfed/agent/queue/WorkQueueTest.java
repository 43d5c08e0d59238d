package io.meshfed.agent.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkQueueTest {

  @Test
  void aKeyAddedWhileWaitingIsQueuedOnce() throws Exception {
    WorkQueue<String> q = new WorkQueue<>();
    q.add("a");
    q.add("b");
    q.add("a");
    assertThat(q.size()).isEqualTo(2);
    assertThat(q.take(0, TimeUnit.MILLISECONDS)).contains("a");
    assertThat(q.take(0, TimeUnit.MILLISECONDS)).contains("b");
    assertThat(q.take(0, TimeUnit.MILLISECONDS)).isEmpty();
  }

  @Test
  void aKeyAddedWhileProcessingComesBackAfterDoneAndNeverRunsTwiceAtOnce() throws Exception {
    WorkQueue<String> q = new WorkQueue<>();
    q.add("a");
    String key = q.take(0, TimeUnit.MILLISECONDS).orElseThrow();
    q.add("a");
    assertThat(q.take(0, TimeUnit.MILLISECONDS)).as("still in flight").isEmpty();
    q.done(key);
    assertThat(q.take(0, TimeUnit.MILLISECONDS)).contains("a");
  }

  @Test
  void shutDownReleasesAWaitingTaker() throws Exception {
    WorkQueue<String> q = new WorkQueue<>();
    q.shutDown();
    assertThat(q.take(10, TimeUnit.SECONDS)).isEmpty();
    q.add("x");
    assertThat(q.size()).isZero();
  }
}
