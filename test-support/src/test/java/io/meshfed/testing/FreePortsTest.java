package io.meshfed.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import org.junit.jupiter.api.RepeatedTest;

class FreePortsTest {

  /**
   * Ports asked for together never repeat: the broker's two listeners once got the same port
   * from two one-at-a-time probes. Repeated, since the kernel reuses a closed port only now
   * and then.
   */
  @RepeatedTest(20)
  void portsAskedForTogetherAreDistinctAvoidTheGivenOnesAndAreBindable() throws IOException {
    int avoid = FreePorts.one();
    int[] ports = FreePorts.distinct(8, avoid);

    assertThat(Arrays.stream(ports).distinct().count()).isEqualTo(8);
    assertThat(ports).doesNotContain(avoid);
    for (int port : ports) {
      try (ServerSocket bound = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(bound.getLocalPort()).isEqualTo(port);
      }
    }
  }
}
