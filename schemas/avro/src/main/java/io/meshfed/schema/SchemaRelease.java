package io.meshfed.schema;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Freezes the current schemas as a released version: writes one {@code <FullName>.avsc} per
 * catalogued record into {@code schemas/avro/released/<version>/}. Run it when cutting a release;
 * the compatibility test then holds every later change to the rules against it.
 *
 * <pre>mvn -q -pl schemas/avro exec:java -Dexec.mainClass=io.meshfed.schema.SchemaRelease -Dexec.args="schemas/avro/released v2"</pre>
 */
public final class SchemaRelease {

  private SchemaRelease() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: SchemaRelease <released-dir> <version>");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).resolve(args[1]);
    if (Files.exists(dir)) {
      System.err.println(dir + " exists: a released version is never rewritten");
      System.exit(1);
    }
    Files.createDirectories(dir);
    for (SchemaCatalog.Entry entry : SchemaCatalog.ENTRIES) {
      Path file = dir.resolve(entry.schema().getFullName() + ".avsc");
      Files.writeString(file, entry.schema().toString(true) + "\n");
      System.out.println("wrote " + file);
    }
  }
}
