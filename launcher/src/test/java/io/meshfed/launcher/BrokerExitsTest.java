package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Exit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A broker's fatal exit or halt is said on the terminal before the process ends as asked. */
class BrokerExitsTest {

  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<String> ended = new ArrayList<>();

  @AfterEach
  void restoreKafkasProcedures() {
    Exit.resetExitProcedure();
    Exit.resetHaltProcedure();
  }

  private void install() {
    BrokerExits.install("up", Path.of("/stack/meshfed.log"),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        (halt, status) -> ended.add((halt ? "halt " : "exit ") + status));
  }

  @Test
  void aHaltIsSaidWithItsStatusReasonAndLogThenHalts() {
    install();
    Exit.halt(1, "Shutdown broker because all log dirs in /stack/kafka have failed");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("meshfed up: the embedded Kafka"
        + " broker ended the process (status 1): Shutdown broker because all log dirs in"
        + " /stack/kafka have failed; see /stack/meshfed.log" + System.lineSeparator());
    assertThat(ended).containsExactly("halt 1");
  }

  @Test
  void anExitWithoutAMessageIsSaidToo() {
    install();
    Exit.exit(3);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith(
        "meshfed up: the embedded Kafka broker ended the process (status 3); see ");
    assertThat(ended).containsExactly("exit 3");
  }

  @Test
  void aLongReasonIsOneBoundedLine() {
    String line = BrokerExits.line("demo", 1, "x\n".repeat(5_000), null);
    assertThat(line).doesNotContain("\n").hasSizeLessThan(400).endsWith("…");
  }
}
