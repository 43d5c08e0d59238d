package io.meshfed.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on 127.0.0.1, for servers whose port is not configured.
 *
 * <p>Ports asked for together are distinct: every probe socket stays open until all are
 * chosen. Probing one port at a time lets the kernel hand the same port out twice (a CI run
 * got {@code PLAINTEXT://127.0.0.1:35483, CONTROLLER://127.0.0.1:35483} that way). A port is
 * still only probed, not held: another process may take it before the server binds it, so
 * callers that can retry on {@link java.net.BindException} should.
 */
public final class FreePorts {
  private FreePorts() {}

  /** One free port. */
  public static int one() {
    return distinct(1)[0];
  }

  /** {@code count} free ports, all different, none of them in {@code avoid}. */
  public static int[] distinct(int count, int... avoid) {
    List<ServerSocket> held = new ArrayList<>();
    try {
      int[] ports = new int[count];
      int found = 0;
      while (found < count) {
        ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(socket);
        int port = socket.getLocalPort();
        if (!contains(avoid, port)) {
          ports[found++] = port;
        }
        if (held.size() > count + avoid.length + 16) {
          throw new IllegalStateException("no " + count + " free ports on 127.0.0.1");
        }
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    } finally {
      for (ServerSocket socket : held) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // a probe socket that will not close still frees its port when the process ends
        }
      }
    }
  }

  private static boolean contains(int[] ports, int port) {
    for (int p : ports) {
      if (p == port) {
        return true;
      }
    }
    return false;
  }
}
