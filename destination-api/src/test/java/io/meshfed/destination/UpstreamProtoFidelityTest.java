package io.meshfed.destination;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.linkerd.proxy.destination.GetDestination;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * meshfed's Destination API protos against upstream linkerd2-proxy-api's, message by message.
 *
 * <p>The upstream files (src/test/resources/upstream/, see PROVENANCE.md there) are compiled by
 * the build's own protoc into a descriptor set; ours are the descriptors compiled into the
 * generated classes. Every message (nested ones included), field (name, number, type, label,
 * message/enum type, oneof), oneof, reserved range and name, enum value and rpc must be the
 * same, in both directions. File options (java_package, …) are ours and not compared.
 */
class UpstreamProtoFidelityTest {

  private static final Path UPSTREAM_SET = Path.of("target", "upstream-descriptors",
      "upstream.desc");
  private static final Path UPSTREAM_DIR = Path.of("src", "test", "resources", "upstream");
  private static final List<String> FILES = List.of("destination.proto", "meta.proto",
      "net.proto", "http_types.proto");

  @Test
  void everyMessageFieldEnumAndRpcIsTheUpstreamOne() throws Exception {
    Map<String, FileDescriptorProto> upstream = upstream();
    Map<String, FileDescriptorProto> ours = ours();
    assertThat(upstream.keySet()).containsAll(FILES);
    for (String file : FILES) {
      assertThat(ours).as("our protos have %s", file).containsKey(file);
      assertThat(differences(upstream.get(file), ours.get(file))).as(file).isEmpty();
    }
  }

  @Test
  void theComparisonSeesAFieldMissingOrChanged() throws Exception {
    // meshfed's meta.proto before #14: Resource had only fields 1-3. And a label and a type
    // changed, which a name-and-number comparison alone would not see.
    FileDescriptorProto meta = upstream().get("meta.proto");
    FileDescriptorProto.Builder old = meta.toBuilder();
    DescriptorProto.Builder resource = old.getMessageTypeBuilderList().stream()
        .filter(m -> m.getName().equals("Resource")).findFirst().orElseThrow();
    resource.clearField().addAllField(meta.getMessageTypeList().stream()
        .filter(m -> m.getName().equals("Resource")).findFirst().orElseThrow()
        .getFieldList().subList(0, 3));
    resource.getFieldBuilder(0).setLabel(FieldDescriptorProto.Label.LABEL_REPEATED);
    resource.getFieldBuilder(1).setType(FieldDescriptorProto.Type.TYPE_BYTES);
    List<String> diff = differences(meta, old.build());
    assertThat(diff).anyMatch(d -> d.contains("Resource field namespace = 4"))
        .anyMatch(d -> d.contains("Resource field section = 5"))
        .anyMatch(d -> d.contains("Resource field port = 6 TYPE_UINT32"))
        .anyMatch(d -> d.startsWith("not upstream") && d.contains("group = 1")
            && d.contains("LABEL_REPEATED"))
        .anyMatch(d -> d.startsWith("not upstream") && d.contains("kind = 2 TYPE_BYTES"));
  }

  @Test
  void theUpstreamCopiesAreTheOnesProvenanceNames() throws Exception {
    String provenance = Files.readString(UPSTREAM_DIR.resolve("PROVENANCE.md"));
    assertThat(provenance).contains("github.com/linkerd/linkerd2-proxy-api")
        .contains("9699c654cfec1bb33ae8f9f898cdb96a36a99914");
    for (String file : FILES) {
      byte[] content = Files.readAllBytes(UPSTREAM_DIR.resolve(file));
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
      assertThat(provenance).as("PROVENANCE.md has the SHA-256 of %s", file)
          .contains(sha + "  " + file);
    }
  }

  /** Lines that differ: "missing from ours: …" for upstream's, "not upstream: …" for ours. */
  static List<String> differences(FileDescriptorProto upstream, FileDescriptorProto ours) {
    TreeSet<String> want = describe(upstream);
    TreeSet<String> have = describe(ours);
    List<String> out = new ArrayList<>();
    want.stream().filter(line -> !have.contains(line))
        .forEach(line -> out.add("missing from ours: " + line));
    have.stream().filter(line -> !want.contains(line))
        .forEach(line -> out.add("not upstream: " + line));
    return out;
  }

  /** Every definition of a file as one line each, with full names. */
  static TreeSet<String> describe(FileDescriptorProto file) {
    TreeSet<String> lines = new TreeSet<>();
    lines.add("package " + file.getPackage());
    file.getDependencyList().forEach(d -> lines.add("import " + d));
    String scope = "." + file.getPackage();
    file.getMessageTypeList().forEach(m -> describe(scope, m, lines));
    file.getEnumTypeList().forEach(e -> describe(scope, e, lines));
    for (ServiceDescriptorProto service : file.getServiceList()) {
      lines.add("service " + scope + "." + service.getName());
      service.getMethodList().forEach(rpc -> lines.add("service " + scope + "."
          + service.getName() + " rpc " + rpc.getName() + "("
          + (rpc.getClientStreaming() ? "stream " : "") + rpc.getInputType() + ") returns ("
          + (rpc.getServerStreaming() ? "stream " : "") + rpc.getOutputType() + ")"));
    }
    return lines;
  }

  private static void describe(String scope, DescriptorProto message, TreeSet<String> lines) {
    String name = scope + "." + message.getName();
    lines.add("message " + name + (message.getOptions().getMapEntry() ? " (map entry)" : ""));
    for (FieldDescriptorProto f : message.getFieldList()) {
      lines.add("message " + name + " field " + f.getName() + " = " + f.getNumber() + " "
          + f.getType() + " " + f.getLabel()
          + (f.hasTypeName() ? " " + f.getTypeName() : "")
          + (f.hasOneofIndex() ? " in oneof " + message.getOneofDecl(f.getOneofIndex()).getName()
              : "")
          + (f.getProto3Optional() ? " proto3_optional" : ""));
    }
    message.getOneofDeclList().forEach(o -> lines.add("message " + name + " oneof "
        + o.getName()));
    message.getReservedRangeList().forEach(r -> lines.add("message " + name + " reserved "
        + r.getStart() + " to " + (r.getEnd() - 1)));
    message.getReservedNameList().forEach(n -> lines.add("message " + name + " reserved \""
        + n + "\""));
    message.getNestedTypeList().forEach(nested -> describe(name, nested, lines));
    message.getEnumTypeList().forEach(e -> describe(name, e, lines));
  }

  private static void describe(String scope, EnumDescriptorProto e, TreeSet<String> lines) {
    String name = scope + "." + e.getName();
    lines.add("enum " + name);
    e.getValueList().forEach(v -> lines.add("enum " + name + " " + v.getName() + " = "
        + v.getNumber()));
  }

  private static Map<String, FileDescriptorProto> upstream() throws Exception {
    assertThat(UPSTREAM_SET).as("descriptor set written by the build (pom.xml,"
        + " upstream-descriptors)").exists();
    Map<String, FileDescriptorProto> out = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(UPSTREAM_SET)) {
      FileDescriptorSet.parseFrom(in).getFileList().forEach(f -> out.put(f.getName(), f));
    }
    return out;
  }

  /** Our destination.proto as compiled into the classes, with everything it imports. */
  private static Map<String, FileDescriptorProto> ours() {
    Map<String, FileDescriptorProto> out = new LinkedHashMap<>();
    List<FileDescriptor> todo = new ArrayList<>(List.of(
        GetDestination.getDescriptor().getFile()));
    while (!todo.isEmpty()) {
      FileDescriptor f = todo.remove(0);
      if (out.putIfAbsent(f.getName(), f.toProto()) == null) {
        todo.addAll(f.getDependencies());
      }
    }
    return out;
  }
}
