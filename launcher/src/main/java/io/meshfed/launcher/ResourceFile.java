package io.meshfed.launcher;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.meshfed.agent.publish.ClusterPublisher;
import io.meshfed.agent.publish.ExternalMembers;
import io.meshfed.agent.publish.PolicyMapping;
import io.meshfed.avro.ResourceKind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A YAML file of resources for {@code meshfed apply} and {@code delete}, read and checked whole
 * before anything is sent: a file is applied entirely or not at all, never up to its first bad
 * document. Every way a file can be unusable is a {@link BadFile} with one sentence naming the
 * file and, where there is one, the document and field.
 */
final class ResourceFile {

  /** Larger files are refused: the API server stores an object in etcd up to about 1.5 MB. */
  static final long MAX_BYTES = 3L * 1024 * 1024;

  /** Resource names as Kubernetes accepts them (DNS-1123 subdomain). */
  private static final Pattern NAME = Pattern.compile(
      "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

  /** A kind apply and delete know: where its objects live, and meshfed's kind if it is one. */
  record Type(ResourceDefinitionContext context, ResourceKind meshfedKind) {
    String apiVersion() {
      return context.getGroup() == null || context.getGroup().isEmpty() ? context.getVersion()
          : context.getGroup() + "/" + context.getVersion();
    }

    String kind() {
      return context.getKind();
    }
  }

  /**
   * What a playground user creates: meshfed's resources, and the core kinds a workload is made of
   * in a simulated cluster (there is no controller there, so EndpointSlices are written by hand).
   */
  static final List<Type> TYPES = Stream.concat(
      Stream.of(ResourceKind.FailoverService, ResourceKind.VirtualDestination,
          ResourceKind.FailoverPolicy, ResourceKind.OutlierDetectionPolicy)
          .map(k -> new Type(ClusterPublisher.crd(k), k)),
      Stream.concat(SimulatedCluster.MEMBER_KINDS.stream(),
          SimulatedCluster.CORE_KINDS.stream()).map(c -> new Type(c, null))).toList();

  /** One resource of a file; {@code document} counts from 1. */
  record Resource(int document, Type type, GenericKubernetesResource object) {
    String namespace() {
      if (!type.context().isNamespaceScoped()) {
        return null;
      }
      String ns = object.getMetadata().getNamespace();
      return ns == null ? "default" : ns;
    }

    /** {@code Kind/namespace/name}, or {@code Kind/name} for a cluster-scoped kind. */
    String describe() {
      String ns = namespace();
      return type.kind() + "/" + (ns == null ? "" : ns + "/") + object.getMetadata().getName();
    }
  }

  /** A file that cannot be used, with the sentence that says why. */
  static final class BadFile extends Exception {
    BadFile(String message) {
      super(message, null, false, false);
    }
  }

  private static final YAMLMapper YAML = YAMLMapper.builder()
      // A key written twice is a mistake the user should hear about, not a silent last-wins.
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  private ResourceFile() {}

  /** Reads and checks every document of {@code file}; nothing is returned unless all are good. */
  static List<Resource> read(Path file) throws BadFile {
    byte[] content;
    try {
      if (Files.isDirectory(file)) {
        throw new BadFile(file + " is a directory, not a file");
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new BadFile(String.format(Locale.ROOT, "%s is %.1f MB; files larger than %d MB"
            + " are refused", file, size / (1024.0 * 1024), MAX_BYTES / (1024 * 1024)));
      }
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BadFile(file + " does not exist");
    } catch (IOException e) {
      throw new BadFile("cannot read " + file + ": " + e.getMessage());
    }
    return parse(file.toString(), content);
  }

  static List<Resource> parse(String file, byte[] content) throws BadFile {
    if (content.length == 0) {
      throw new BadFile(file + " is empty");
    }
    String text = text(file, content);
    List<Resource> resources = new ArrayList<>();
    int document = 0;
    // Through ObjectMapper.readValues(JsonParser, ...): an ObjectReader would unwrap a document
    // that is a list into its items, and they are not documents.
    try (JsonParser parser = YAML.createParser(text);
        MappingIterator<JsonNode> docs = YAML.readValues(parser, JsonNode.class)) {
      while (true) {
        int line;
        JsonNode node;
        try {
          if (!docs.hasNextValue()) {
            break;
          }
          line = docs.getParser().currentTokenLocation().getLineNr();
          node = docs.nextValue();
        } catch (JsonProcessingException | RuntimeException e) {
          throw new BadFile(file + ": document " + (document + 1) + " is not valid YAML: "
              + yamlProblem(e));
        }
        document++;
        if (node == null || node.isNull() || node.isMissingNode()) {
          continue; // an empty document, e.g. a trailing '---': kubectl skips these too
        }
        resources.add(resource(file, document, line, node));
      }
    } catch (IOException e) {
      throw new BadFile(file + ": document " + (document + 1) + " is not valid YAML: "
          + yamlProblem(e));
    }
    if (resources.isEmpty()) {
      throw new BadFile(file + " holds no resources (only comments or empty documents)");
    }
    return resources;
  }

  /** The file's text; binary data (a NUL byte, or bytes that are not UTF-8) is refused. */
  private static String text(String file, byte[] content) throws BadFile {
    for (byte b : content) {
      if (b == 0) {
        throw new BadFile(file + " is not a YAML text file: it holds binary data");
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(content)).toString();
    } catch (CharacterCodingException e) {
      throw new BadFile(file + " is not a YAML text file: it is not UTF-8 text");
    }
  }

  /** SnakeYAML's problem and where, without its multi-line excerpt of the file. */
  private static String yamlProblem(Exception e) {
    Throwable cause = e;
    while (cause != null) {
      if (cause instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked) {
        var mark = marked.getProblemMark();
        String problem = marked.getProblem() == null ? marked.getContext() : marked.getProblem();
        return problem + (mark == null ? "" : " (line " + (mark.getLine() + 1) + ", column "
            + (mark.getColumn() + 1) + ")");
      }
      cause = cause.getCause();
    }
    if (e instanceof JsonProcessingException j) {
      JsonLocation at = j.getLocation();
      return Main.firstLine(j.getOriginalMessage()) + (at == null ? ""
          : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
    }
    return Main.firstLine(String.valueOf(e.getMessage()));
  }

  private static Resource resource(String file, int document, int line, JsonNode node)
      throws BadFile {
    String where = file + ": document " + document + " (line " + line + ")";
    if (!node.isObject()) {
      throw new BadFile(where + " is " + (node.isArray() ? "a list" : "'"
          + abbreviate(node.asText()) + "'") + ", not a resource (a mapping with apiVersion, kind and metadata)");
    }
    String kind = requiredText(where, node, "kind");
    String apiVersion = requiredText(where, node, "apiVersion");
    Type type = TYPES.stream().filter(t -> t.kind().equals(kind)).findFirst()
        .orElseThrow(() -> new BadFile(where + ": kind " + abbreviate(kind) + " is not one apply and delete"
            + " know (" + TYPES.stream().map(Type::kind).collect(Collectors.joining(", "))
            + ")"));
    if (!type.apiVersion().equals(apiVersion)) {
      throw new BadFile(where + ": " + kind + " is apiVersion " + type.apiVersion() + ", not "
          + abbreviate(apiVersion));
    }
    JsonNode metadata = node.path("metadata");
    if (!metadata.isObject()) {
      throw new BadFile(where + ": " + kind + " has no metadata");
    }
    String name = requiredText(where + ": " + kind, metadata, "name", "metadata.name");
    if (!NAME.matcher(name).matches() || name.length() > 253) {
      throw new BadFile(where + ": metadata.name '" + abbreviate(name) + "' is not a valid name (lowercase"
          + " letters, digits, '-' and '.', starting and ending with a letter or digit)");
    }
    JsonNode namespace = metadata.path("namespace");
    if (!namespace.isMissingNode() && !namespace.isNull()
        && !(namespace.isTextual() && NAME.matcher(namespace.asText()).matches())) {
      throw new BadFile(where + ": metadata.namespace '" + abbreviate(namespace.asText())
          + "' is not a"
          + " valid namespace name");
    }
    GenericKubernetesResource object;
    try {
      object = Serialization.jsonMapper().treeToValue(node, GenericKubernetesResource.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new BadFile(where + ": " + kind + " " + name + " cannot be read: "
          + Main.firstLine(e instanceof JsonProcessingException j ? j.getOriginalMessage()
              : String.valueOf(e.getMessage())));
    }
    if (type.meshfedKind() != null) {
      List<String> problems = PolicyMapping.numberProblems(type.meshfedKind(), object);
      if (!problems.isEmpty()) {
        // The first three, and how many more: a list of 10,000 bad weights stays one line.
        throw new BadFile(where + ": " + kind + " " + name + ": "
            + String.join("; ", problems.subList(0, Math.min(3, problems.size())))
            + (problems.size() > 3 ? "; and " + (problems.size() - 3) + " more" : ""));
      }
    }
    if (type.context().getGroup().equals("meshfed.io") && type.meshfedKind() == null) {
      // The agent would not publish it (no topology validation reports on a member), so the
      // file is refused here with what the agent would have logged.
      List<String> problems = ExternalMembers.problems(object);
      if (!problems.isEmpty()) {
        throw new BadFile(where + ": " + kind + " " + name + ": " + String.join("; ",
            problems.subList(0, Math.min(5, problems.size()))));
      }
    }
    return new Resource(document, type, object);
  }

  /** Longest excerpt of a value an error quotes: the sentence stays one readable line. */
  static final int QUOTE_LIMIT = 80;

  /**
   * A value as an error quotes it: at most {@link #QUOTE_LIMIT} characters, line breaks and
   * other control characters escaped, so that a 3 MB name or a multi-line value cannot turn
   * the one-sentence error into a wall of text.
   */
  static String abbreviate(String value) {
    StringBuilder out = new StringBuilder();
    value.codePoints().limit(QUOTE_LIMIT).forEach(c -> {
      if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029 || c == 0x202e) {
        out.append(String.format(Locale.ROOT, "\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return value.codePointCount(0, value.length()) > QUOTE_LIMIT ? out + "…" : out.toString();
  }

  private static String requiredText(String where, JsonNode node, String field) throws BadFile {
    return requiredText(where, node, field, field);
  }

  private static String requiredText(String where, JsonNode node, String field, String path)
      throws BadFile {
    JsonNode value = node.path(field);
    if (value.isMissingNode() || value.isNull() || value.asText().isBlank()) {
      throw new BadFile(where + " has no " + path);
    }
    if (!value.isTextual()) {
      throw new BadFile(where + ": " + path + " is " + abbreviate(value.toString())
          + ", not a string");
    }
    return value.asText();
  }
}
