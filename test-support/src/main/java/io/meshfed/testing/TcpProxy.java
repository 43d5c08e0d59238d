package io.meshfed.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy that a test puts between a client and a real server — the fault suite in
 * front of a broker listener (the listener advertises the proxy's port, so every connection of
 * the clients behind it crosses it), the connector tests in front of the real schema registry —
 * and that can fail the way a network or a stopped server does:
 *
 * <ul>
 *   <li>{@link #partition()}: nothing crosses any more, either way, and nothing is refused —
 *       bytes vanish as packets do in a partition, so clients find out only by their own
 *       timeouts. {@link #heal()} ends it; the connections that lost bytes are reset (their
 *       streams have holes), new ones work.
 *   <li>{@link #delay(Duration)}: every chunk is forwarded that long after it was read, in
 *       order.
 *   <li>{@link #drop(double)}: each chunk resets its connection with that probability, the loss
 *       TCP cannot hide (a stream that loses bytes is a reset, not a gap).
 *   <li>{@link #cut()}: every connection reset now.
 *   <li>{@link #refuse()}: the server is gone — every connection reset now, and every new one
 *       reset as soon as it is accepted (what a client sees of a server whose process stopped
 *       behind a port-forward or a load balancer; a true ECONNREFUSED would need the listening
 *       port closed, and another process could take it before {@link #heal()} reopened it).
 * </ul>
 *
 * <p>Bounded: at most {@code maxConnections} at a time (more are closed at once), at most
 * {@link #MAX_IN_FLIGHT} bytes queued per direction of a connection (a reader waits for the
 * writer beyond that, as TCP's window would make it), and the delay is capped at a minute.
 * Listens on 127.0.0.1 only.
 */
public final class TcpProxy implements AutoCloseable {

  public static final int MAX_IN_FLIGHT = 1 << 20;
  public static final Duration MAX_DELAY = Duration.ofMinutes(1);
  private static final int CHUNK = 16 * 1024;

  private final ServerSocket server;
  private volatile InetSocketAddress target;
  private final int maxConnections;
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean partitioned;
  private volatile boolean refusing;
  private volatile long delayNanos;
  private volatile double dropProbability;
  private volatile boolean closed;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong resets = new AtomicLong();
  private final AtomicLong bytesForwarded = new AtomicLong();
  private final AtomicLong bytesLost = new AtomicLong();

  /**
   * A proxy on a free port, forwarding to 127.0.0.1:{@code targetPort} (0: set later with
   * {@link #forwardTo(int)}, for a broker that must advertise the proxy's port before its own
   * ports exist).
   */
  public TcpProxy(int targetPort, int maxConnections) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    forwardTo(targetPort);
    this.maxConnections = maxConnections;
    this.acceptor = daemon(this::accept, "tcp-proxy-accept-" + port());
    acceptor.start();
  }

  /** Where new connections go from now on (open ones stay where they are; {@link #cut()} them). */
  public void forwardTo(int targetPort) {
    target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
  }

  /** The port clients connect to, on 127.0.0.1. */
  public int port() {
    return server.getLocalPort();
  }

  /** A partition: from now on no byte crosses, either way, until {@link #heal()}. */
  public void partition() {
    partitioned = true;
    connections.forEach(c -> c.holed = true);
  }

  /**
   * Ends a partition, a refusal, a delay and a loss rate; connections that lost bytes are
   * reset.
   */
  public void heal() {
    partitioned = false;
    refusing = false;
    delayNanos = 0;
    dropProbability = 0;
    connections.stream().filter(c -> c.holed).forEach(Connection::reset);
  }

  public void delay(Duration delay) {
    if (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
      throw new IllegalArgumentException("delay must be 0.." + MAX_DELAY + ", was " + delay);
    }
    delayNanos = delay.toNanos();
  }

  public void drop(double probability) {
    if (!(probability >= 0 && probability <= 1)) {
      throw new IllegalArgumentException("drop probability must be 0..1, was " + probability);
    }
    dropProbability = probability;
  }

  /** Resets every open connection now (new ones are accepted as before). */
  public void cut() {
    connections.forEach(Connection::reset);
  }

  /**
   * The server behind is gone until {@link #heal()}: open connections are reset now, new ones
   * as soon as they are accepted.
   */
  public void refuse() {
    refusing = true;
    cut();
  }

  public int openConnections() {
    return connections.size();
  }

  /** Connections accepted and forwarded. */
  public long accepted() {
    return accepted.get();
  }

  /** Connections turned away: over {@code maxConnections}, or while refusing. */
  public long refused() {
    return refused.get();
  }

  /** Forwarded connections that ended with a reset (a fault's, or either side's). */
  public long resets() {
    return resets.get();
  }

  public long bytesForwarded() {
    return bytesForwarded.get();
  }

  /** Bytes read and not delivered: lost in a partition or with a dropped chunk. */
  public long bytesLost() {
    return bytesLost.get();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      if (refusing) {
        refused.incrementAndGet();
        resetQuietly(client);
        continue;
      }
      if (connections.size() >= maxConnections) {
        refused.incrementAndGet();
        closeQuietly(client);
        continue;
      }
      accepted.incrementAndGet();
      Connection c = new Connection(client);
      connections.add(c);
      if (refusing) {
        c.reset(); // refuse() came between the check above and the add: it missed this one
        continue;
      }
      c.start();
    }
  }

  /** One client connection and its upstream connection, two directions of chunks each. */
  private final class Connection {
    final Socket client;
    final Socket upstream = new Socket();
    volatile boolean holed = partitioned;
    private volatile boolean done;

    Connection(Socket client) {
      this.client = client;
    }

    void start() {
      daemon(() -> {
        try {
          upstream.connect(target, 10_000);
          client.setTcpNoDelay(true);
          upstream.setTcpNoDelay(true);
          new Direction(client, upstream).start();
          new Direction(upstream, client).start();
        } catch (IOException e) {
          reset();
        }
      }, "tcp-proxy-connect").start();
    }

    /** Closes both sides with a reset (linger 0), as a broken connection ends. */
    void reset() {
      if (done) {
        return;
      }
      done = true;
      connections.remove(this);
      resets.incrementAndGet();
      resetQuietly(client);
      resetQuietly(upstream);
    }

    /** Bytes from {@code in} to {@code out}: a reader thread and a writer thread. */
    private final class Direction {
      final Socket from;
      final Socket to;
      final DelayQueue<Chunk> queue = new DelayQueue<>();
      final Semaphore room = new Semaphore(MAX_IN_FLIGHT);
      final AtomicLong sequence = new AtomicLong();
      /** A chunk is never due before the previous one: a shorter delay must not reorder. */
      private long lastDue;

      Direction(Socket from, Socket to) {
        this.from = from;
        this.to = to;
      }

      void start() {
        daemon(this::read, "tcp-proxy-read").start();
        daemon(this::write, "tcp-proxy-write").start();
      }

      private void read() {
        try (InputStream in = from.getInputStream()) {
          byte[] buffer = new byte[CHUNK];
          for (int n; (n = in.read(buffer)) >= 0; ) {
            if (partitioned || holed) {
              holed = true;
              bytesLost.addAndGet(n);
              continue;
            }
            if (dropProbability > 0 && ThreadLocalRandom.current().nextDouble() < dropProbability) {
              bytesLost.addAndGet(n);
              reset();
              return;
            }
            room.acquire(n);
            if (done) {
              return;
            }
            queue.put(chunk(java.util.Arrays.copyOf(buffer, n)));
          }
        } catch (IOException | InterruptedException e) {
          // the connection ended
        }
        // The sender closed its side: pass the end on once what was read has been written.
        queue.put(chunk(null));
      }

      private Chunk chunk(byte[] bytes) {
        lastDue = Math.max(lastDue, System.nanoTime() + delayNanos);
        return new Chunk(lastDue, sequence.getAndIncrement(), bytes);
      }

      private void write() {
        try (OutputStream out = to.getOutputStream()) {
          while (!done) {
            Chunk chunk = queue.take();
            if (chunk.bytes == null) {
              break;
            }
            room.release(chunk.bytes.length);
            if (holed) {
              bytesLost.addAndGet(chunk.bytes.length);
              continue;
            }
            out.write(chunk.bytes);
            bytesForwarded.addAndGet(chunk.bytes.length);
          }
        } catch (IOException | InterruptedException e) {
          // the connection ended
        }
        reset();
        room.release(MAX_IN_FLIGHT); // a reader waiting for room sees the end, not a hang
      }
    }
  }

  /** A chunk due at {@code due}; chunks due at the same time keep their order. */
  private record Chunk(long due, long sequence, byte[] bytes) implements Delayed {
    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      Chunk o = (Chunk) other;
      int byDue = Long.compare(due, o.due);
      return byDue != 0 ? byDue : Long.compare(sequence, o.sequence);
    }
  }

  private static Thread daemon(Runnable body, String name) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  /** Closes with a reset (linger 0), as a broken connection ends. */
  private static void resetQuietly(Socket s) {
    try {
      if (!s.isClosed() && s.isConnected()) {
        s.setSoLinger(true, 0);
      }
    } catch (IOException ignored) {
      // closing anyway
    }
    closeQuietly(s);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    connections.forEach(Connection::reset);
  }
}
