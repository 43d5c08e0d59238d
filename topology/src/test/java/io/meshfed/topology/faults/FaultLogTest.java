package io.meshfed.topology.faults;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A dead letter's log line cannot be forged or disguised by the names in the bad record. */
class FaultLogTest {

  @Test
  void controlAndFormatCharactersInAMessageAreEscaped() {
    String hostile = "payload names bookinfo/h1\u0000\n\u202e<script>\r\u2028x \uD835\uDD18";
    String line = FaultLog.printable(hostile);
    assertThat(line).isEqualTo("payload names bookinfo/h1\\u0000\\u000a\\u202e<script>\\u000d"
        + "\\u2028x \uD835\uDD18");
    assertThat(line).doesNotContain("\n", "\r", "\u0000", "\u202e");
  }

  @Test
  void anOrdinaryMessageIsTheSameString() {
    String plain = "schema id 900001 is unknown to the schema registry";
    assertThat(FaultLog.printable(plain)).isSameAs(plain);
  }
}
