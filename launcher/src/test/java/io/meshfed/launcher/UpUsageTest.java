package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code meshfed up} refuses bad options before it starts anything: one sentence naming the
 * option, exit 2, no stack trace.
 */
class UpUsageTest {

  @TempDir
  Path dir;

  private static void assertRefused(CliRun run, String says) {
    assertThat(run.exit()).as(run.err()).isEqualTo(2);
    assertThat(run.err().lines().findFirst().orElse("")).contains(says);
    assertThat(run.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  void aDurationThatIsNotOne() {
    assertRefused(meshfed("up", "--dir", dir.toString(), "--damping", "abc"),
        "'abc' is not a duration such as 500ms, 30s or 2m");
  }

  @Test
  void aPortThatIsNotOne() {
    assertRefused(meshfed("up", "--dir", dir.toString(), "--http-port", "70000"),
        "meshfed up: --http-port 70000 is not a port (1-65535, 0 for a free one)");
    assertRefused(meshfed("up", "--dir", dir.toString(), "--kafka-port", "-1"),
        "meshfed up: --kafka-port -1 is not a port");
  }

  @Test
  void aChosenPortThatIsTakenIsRefusedBeforeAnythingStarts() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CliRun run = meshfed("up", "--dir", dir.toString(), "--http-port",
          String.valueOf(taken.getLocalPort()));
      assertRefused(run, "meshfed up: port " + taken.getLocalPort() + " is in use on 127.0.0.1;"
          + " choose another port, or 0 for a free one");
    }
    // Refused before anything started: no broker, no registry in the directory.
    assertThat(Files.exists(dir.resolve("kafka"))).isFalse();
    assertThat(Files.exists(dir.resolve("registry"))).isFalse();
  }
}
