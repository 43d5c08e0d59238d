package io.meshfed.topology.recovery;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Aborts the open transaction of a topology instance that died inside it, as soon as the group
 * has let the instance go, instead of after the transaction timeout (Streams' 10 s).
 *
 * <p>Why: after a kill -9 the survivor is handed the dead instance's tasks once its session
 * times out, but every partition the dead producer wrote in its open transaction (repartition
 * topics, changelogs, the decide stage's outputs) is blocked for read_committed readers, and
 * its pending offsets block the committed-offset fetch, until the transaction coordinator
 * aborts it. Fencing the producer's transactional id ({@link Admin#fenceProducers}: an
 * InitProducerId that bumps the epoch) aborts it at once.
 *
 * <p>When: a member leaves the group only through a rebalance, so checks run while this
 * instance is rebalancing and for {@link #WINDOW} after, every {@link #EVERY}; each is one
 * ListTransactions and, only when one of this application's transactions is open, one
 * DescribeGroups. Steady state costs nothing. Which transactions: {@link OrphanTransactions}.
 * Any failure (a broker that does not support the calls, an ACL that refuses them) is logged
 * once and leaves the timeout to do the job.
 */
public final class OrphanTransactionFencer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OrphanTransactionFencer.class);
  static final Duration EVERY = Duration.ofMillis(500);
  static final Duration WINDOW = Duration.ofSeconds(30);

  private final String applicationId;
  private final Admin admin;
  private final ScheduledExecutorService timer;
  /** System.nanoTime() until which checks run; closed at first. */
  private final AtomicLong checkUntil = new AtomicLong(System.nanoTime());
  private volatile boolean failureLogged;
  private ScheduledFuture<?> checks;

  private OrphanTransactionFencer(String applicationId, Properties client) {
    this.applicationId = applicationId;
    Properties props = new Properties();
    props.putAll(client);
    props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
    props.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "meshfed-fencer-" + applicationId);
    this.admin = Admin.create(props);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "meshfed-fencer-" + applicationId);
      t.setDaemon(true);
      return t;
    });
  }

  /** A fencer for the application; {@code client} holds bootstrap servers and security. */
  public static OrphanTransactionFencer start(String applicationId, Properties client) {
    OrphanTransactionFencer fencer = new OrphanTransactionFencer(applicationId, client);
    fencer.checks = fencer.timer.scheduleWithFixedDelay(fencer::tick, 0, EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    return fencer;
  }

  /** To be called from the Streams state listener: a rebalance opens the check window. */
  public void onStateChange(KafkaStreams.State next) {
    if (next == KafkaStreams.State.REBALANCING) {
      checkUntil.set(System.nanoTime() + WINDOW.toNanos());
    }
  }

  private void tick() {
    if (System.nanoTime() - checkUntil.get() > 0) {
      return;
    }
    try {
      fenceOrphans();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (!failureLogged) {
        failureLogged = true;
        LOG.info("cannot look for transactions left open by a dead instance ({}); they are "
            + "aborted by their timeout instead", e.toString());
      }
    }
  }

  /** One check: fences every orphan found; returns the transactional ids fenced. */
  Set<String> fenceOrphans() throws Exception {
    List<String> ongoing = admin.listTransactions(new ListTransactionsOptions()
            .filterStates(List.of(TransactionState.ONGOING)))
        .all().get(5, TimeUnit.SECONDS).stream()
        .map(TransactionListing::transactionalId)
        .filter(id -> id.startsWith(applicationId + "-"))
        .toList();
    if (ongoing.isEmpty()) {
      return Set.of();
    }
    List<String> members = admin.describeConsumerGroups(List.of(applicationId))
        .describedGroups().get(applicationId).get(5, TimeUnit.SECONDS)
        .members().stream().map(MemberDescription::clientId).toList();
    Set<String> orphans = OrphanTransactions.of(applicationId, ongoing, members);
    if (!orphans.isEmpty()) {
      admin.fenceProducers(orphans).all().get(10, TimeUnit.SECONDS);
      LOG.info("aborted the open transaction(s) of a departed instance: {} (its partitions are "
          + "readable again without waiting for the transaction timeout)", orphans);
    }
    return orphans;
  }

  @Override
  public void close() {
    if (checks != null) {
      checks.cancel(false);
    }
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
