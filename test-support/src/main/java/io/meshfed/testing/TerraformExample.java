package io.meshfed.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code infra/terraform/} hands meshfed, read from the example itself so a test of the
 * code's side breaks when the example changes: today the Kafka client settings for
 * IAM-authenticated MSK ({@code kafka_iam_client} in outputs.tf, given to the agents and the
 * topology as {@code meshfed.kafka.*}).
 */
public final class TerraformExample {

  private static final Pattern IAM_CLIENT = Pattern.compile("kafka_iam_client = \\{([^}]*)}");
  private static final Pattern ENTRY = Pattern.compile("\"([^\"]+)\"\\s*=\\s*\"([^\"]*)\"");

  private TerraformExample() {}

  /** The Kafka client settings of {@code kafka_iam_client}, in the file's order. */
  public static Map<String, String> kafkaIamClient() {
    Path outputs = repositoryRoot().resolve("infra/terraform/outputs.tf");
    String text;
    try {
      text = Files.readString(outputs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher block = IAM_CLIENT.matcher(text);
    if (!block.find()) {
      throw new IllegalStateException("no kafka_iam_client = { ... } in " + outputs);
    }
    Map<String, String> settings = new LinkedHashMap<>();
    Matcher entry = ENTRY.matcher(block.group(1));
    while (entry.find()) {
      settings.put(entry.group(1), entry.group(2));
    }
    return settings;
  }

  /** The checkout's root: the nearest directory up from here with infra/terraform in it. */
  private static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("infra/terraform"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no infra/terraform above " + Path.of("").toAbsolutePath());
  }
}
