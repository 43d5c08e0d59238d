package io.meshfed.agent.queue;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A coalescing work queue, as Kubernetes controllers use: a key added while it is already
 * waiting is not added twice; a key added while it is being processed is queued again when
 * {@link #done} is called, so the latest state is always processed and never concurrently.
 * Informer handlers only {@link #add}; one worker takes, reads the cache, publishes.
 */
public final class WorkQueue<K> {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final LinkedHashSet<K> waiting = new LinkedHashSet<>();
  private final Set<K> processing = new HashSet<>();
  private final Set<K> dirty = new HashSet<>();
  private boolean shutDown;

  public void add(K key) {
    lock.lock();
    try {
      if (shutDown) {
        return;
      }
      if (processing.contains(key)) {
        dirty.add(key);
      } else if (waiting.add(key)) {
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The next key, or empty after {@code timeout} or shutdown. */
  public Optional<K> take(long timeout, TimeUnit unit) throws InterruptedException {
    lock.lock();
    try {
      long nanos = unit.toNanos(timeout);
      while (waiting.isEmpty()) {
        if (shutDown || nanos <= 0) {
          return Optional.empty();
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      K key = waiting.iterator().next();
      waiting.remove(key);
      processing.add(key);
      return Optional.of(key);
    } finally {
      lock.unlock();
    }
  }

  /** Marks {@code key} processed; requeues it if it changed meanwhile. */
  public void done(K key) {
    lock.lock();
    try {
      processing.remove(key);
      if (dirty.remove(key) && waiting.add(key)) {
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  public int size() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  public void shutDown() {
    lock.lock();
    try {
      shutDown = true;
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
