package io.meshfed.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rules are plain Java: no Kafka, no Kubernetes, no I/O, no clock. The module has no
 * runtime dependencies, so such imports would not even compile; this test also catches the JDK's
 * own I/O and clock APIs, which would.
 */
class RulesArePureTest {

  private static final Pattern FORBIDDEN = Pattern.compile(
      "import\\s+(org\\.apache\\.kafka|io\\.fabric8|java\\.io|java\\.nio|java\\.net"
          + "|java\\.sql|java\\.time\\.Clock|java\\.util\\.concurrent)"
          + "|Instant\\.now\\(|System\\.currentTimeMillis|System\\.nanoTime|LocalDateTime\\.now");

  @Test
  void mainSourcesUseNoKafkaKubernetesIoOrClock() throws IOException {
    Path main = Path.of("src/main/java");
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> files = Files.walk(main)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = Files.readString(file);
        var matcher = FORBIDDEN.matcher(text);
        while (matcher.find()) {
          offenders.add(main.relativize(file) + ": " + matcher.group());
        }
      }
    }
    assertThat(offenders).isEmpty();
  }
}
