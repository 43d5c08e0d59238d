package io.meshfed.launcher;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** One TCP connection attempt to a server the CLI is about to use, with a bounded wait. */
final class Reachability {

  private static final int TIMEOUT_MS = 3000;

  private Reachability() {}

  /**
   * Connects to {@code hostPort} and closes again; a failure names {@code what}, the endpoint
   * with where it came from, and the cause.
   */
  static void check(String what, StackOptions.Endpoint endpoint, String hostPort)
      throws StackOptions.StackUnreachable {
    int colon = hostPort.lastIndexOf(':');
    try (Socket socket = new Socket()) {
      if (colon < 0) {
        throw new IllegalArgumentException("no port in '" + hostPort + "'");
      }
      socket.connect(new InetSocketAddress(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1))), TIMEOUT_MS);
    } catch (IOException | IllegalArgumentException e) {
      throw new StackOptions.StackUnreachable("cannot reach " + what + " at " + endpoint + ": "
          + Causes.of(e));
    }
  }
}
