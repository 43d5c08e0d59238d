package io.meshfed.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy against a real echo server on loopback: each fault and its bounds. */
class TcpProxyTest {

  private ServerSocket echo;
  private Thread echoThread;

  @BeforeEach
  void echoServer() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    echoThread = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread t = new Thread(() -> {
            try (s) {
              s.getInputStream().transferTo(s.getOutputStream());
            } catch (IOException closed) {
              // the test's connection ended
            }
          });
          t.setDaemon(true);
          t.start();
        } catch (IOException closed) {
          return;
        }
      }
    });
    echoThread.setDaemon(true);
    echoThread.start();
  }

  @AfterEach
  void stop() throws IOException {
    echo.close();
  }

  private static Socket connect(TcpProxy proxy) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(20_000);
    return s;
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes());
    byte[] back = s.getInputStream().readNBytes(text.length());
    return new String(back);
  }

  @Test
  void forwardsBothWays() throws Exception {
    try (TcpProxy proxy = new TcpProxy(echo.getLocalPort(), 4); Socket s = connect(proxy)) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(roundTrip(s, "x".repeat(100_000))).isEqualTo("x".repeat(100_000));
      await().atMost(Duration.ofSeconds(20))
          .until(() -> proxy.bytesForwarded() == 2 * 100_005);
    }
  }

  @Test
  void aPartitionLosesBytesSilentlyAndHealingResetsTheConnectionsThatLostThem()
      throws Exception {
    try (TcpProxy proxy = new TcpProxy(echo.getLocalPort(), 4); Socket s = connect(proxy)) {
      assertThat(roundTrip(s, "before")).isEqualTo("before");
      proxy.partition();
      s.getOutputStream().write("lost".getBytes());
      s.setSoTimeout(1_000);
      // Nothing comes back and nothing is refused: the client learns only by its timeout.
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(
          SocketTimeoutException.class);
      await().atMost(Duration.ofSeconds(20)).until(() -> proxy.bytesLost() == 4);
      proxy.heal();
      s.setSoTimeout(20_000);
      assertThatThrownBy(() -> {
        InputStream in = s.getInputStream();
        if (in.read() < 0) {
          throw new IOException("closed");
        }
      }).isInstanceOf(IOException.class);
      try (Socket again = connect(proxy)) {
        assertThat(roundTrip(again, "after")).isEqualTo("after");
      }
    }
  }

  @Test
  void aDelayHoldsEveryChunkInOrder() throws Exception {
    try (TcpProxy proxy = new TcpProxy(echo.getLocalPort(), 4); Socket s = connect(proxy)) {
      proxy.delay(Duration.ofMillis(150));
      long t0 = System.nanoTime();
      assertThat(roundTrip(s, "slow")).isEqualTo("slow");
      // Both directions are delayed: at least twice the delay for a round trip.
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(
          Duration.ofMillis(300));
      StringBuilder sent = new StringBuilder();
      for (int i = 0; i < 50; i++) {
        sent.append(i).append(',');
        s.getOutputStream().write((i + ",").getBytes());
        if (i == 25) {
          proxy.delay(Duration.ZERO); // a shorter delay must not overtake what is queued
        }
      }
      assertThat(new String(s.getInputStream().readNBytes(sent.length())))
          .isEqualTo(sent.toString());
    }
  }

  @Test
  void lossResetsTheConnectionAndCutResetsAll() throws Exception {
    try (TcpProxy proxy = new TcpProxy(echo.getLocalPort(), 4)) {
      try (Socket s = connect(proxy)) {
        proxy.drop(1.0);
        s.getOutputStream().write("gone".getBytes());
        assertThatThrownBy(() -> {
          if (s.getInputStream().read() < 0) {
            throw new IOException("closed");
          }
        }).isInstanceOf(IOException.class);
      }
      proxy.heal();
      try (Socket a = connect(proxy); Socket b = connect(proxy)) {
        assertThat(roundTrip(a, "a")).isEqualTo("a");
        assertThat(roundTrip(b, "b")).isEqualTo("b");
        proxy.cut();
        await().atMost(Duration.ofSeconds(20)).until(() -> proxy.openConnections() == 0);
      }
    }
  }

  @Test
  void refusingResetsOpenAndNewConnectionsUntilHealed() throws Exception {
    try (TcpProxy proxy = new TcpProxy(echo.getLocalPort(), 4); Socket open = connect(proxy)) {
      assertThat(roundTrip(open, "up")).isEqualTo("up");
      proxy.refuse();
      assertThatThrownBy(() -> roundTrip(open, "down")).isInstanceOf(IOException.class);
      try (Socket refused = connect(proxy)) {
        // Reset at once, before any byte, not a clean end of stream: the server is gone.
        assertThatThrownBy(() -> refused.getInputStream().read())
            .isInstanceOf(IOException.class);
      }
      assertThat(proxy.refused()).isEqualTo(1);
      proxy.heal();
      try (Socket again = connect(proxy)) {
        assertThat(roundTrip(again, "back")).isEqualTo("back");
      }
    }
  }

  @Test
  void isBounded() throws Exception {
    try (TcpProxy proxy = new TcpProxy(echo.getLocalPort(), 1); Socket first = connect(proxy)) {
      assertThat(roundTrip(first, "one")).isEqualTo("one");
      try (Socket second = connect(proxy)) {
        assertThat(second.getInputStream().read()).isEqualTo(-1); // closed at once
      }
      assertThat(proxy.refused()).isEqualTo(1);
      assertThatThrownBy(() -> proxy.delay(Duration.ofMinutes(2)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> proxy.drop(1.5)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
