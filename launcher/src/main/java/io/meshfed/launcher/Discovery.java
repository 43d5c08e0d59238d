package io.meshfed.launcher;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.APIVersionsBuilder;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscoveryBuilder;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.meshfed.testing.OffLoopCloseCrudDispatcher;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What kubectl asks a server before it does anything, which the fabric8 mock server does not
 * answer (it takes {@code /api/v1} for a list and answers with one): the API versions and
 * groups, each group version's resources, the server version, and an OpenAPI document with no
 * schemas.
 */
final class Discovery {

  private static final List<String> VERBS = List.of("create", "delete", "deletecollection",
      "get", "list", "patch", "update", "watch");

  /** The short names kubectl users type; kubectl learns them from discovery. */
  private static final Map<String, List<String>> SHORT_NAMES = Map.of("namespaces",
      List.of("ns"), "services", List.of("svc"), "pods", List.of("po"),
      "customresourcedefinitions", List.of("crd", "crds"));

  private final List<ResourceDefinitionContext> kinds;

  Discovery(List<ResourceDefinitionContext> kinds) {
    this.kinds = kinds;
  }

  /**
   * OpenAPI v2 as kubectl asks for it (protobuf): a document with no definitions, encoded by
   * hand, {@code swagger: "2.0"} and {@code info: {title: "meshfed", version: "v1"}}. With no
   * schema for a kind, kubectl skips its client-side validation instead of failing on it.
   */
  static final byte[] EMPTY_OPENAPI_V2 = {0x0A, 3, '2', '.', '0', 0x12, 13, 0x0A, 7, 'm', 'e',
      's', 'h', 'f', 'e', 'd', 0x12, 2, 'v', '1'};

  static final String OPENAPI_V2 = "/openapi/v2";

  static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";

  static final String OPENAPI_V2_TYPE =
      "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

  /** The answer to a GET of {@code path}, or null when it is not a discovery request. */
  String answer(String path) {
    String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    if (bare.endsWith("/")) {
      bare = bare.substring(0, bare.length() - 1);
    }
    switch (bare) {
      case "/version":
        return "{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0-meshfed-simulated\","
            + "\"platform\":\"linux/amd64\"}";
      case "/api":
        return Serialization.asJson(new APIVersionsBuilder().withVersions("v1").build());
      case "/apis":
        return Serialization.asJson(new APIGroupListBuilder().withGroups(kinds.stream()
            .filter(k -> !k.getGroup().isEmpty()).map(ResourceDefinitionContext::getGroup)
            .distinct().map(this::group).toList()).build());
      default:
        break;
    }
    String groupVersion = bare.equals("/api/v1") ? "v1"
        : bare.matches("/apis/[^/]+/[^/]+") ? bare.substring("/apis/".length()) : null;
    if (groupVersion == null) {
      return null;
    }
    List<ResourceDefinitionContext> served = kinds.stream()
        .filter(k -> groupVersion(k).equals(groupVersion)).toList();
    return served.isEmpty() ? null : Serialization.asJson(new APIResourceListBuilder()
        .withGroupVersion(groupVersion).withResources(served.stream().map(k ->
            new APIResourceBuilder().withName(k.getPlural()).withKind(k.getKind())
                .withSingularName(k.getKind().toLowerCase(Locale.ROOT))
                .withNamespaced(k.isNamespaceScoped()).withVerbs(VERBS)
                .withShortNames(SHORT_NAMES.getOrDefault(k.getPlural(), List.of())).build())
            .toList()).build());
  }

  private static String groupVersion(ResourceDefinitionContext kind) {
    return kind.getGroup().isEmpty() ? kind.getVersion()
        : kind.getGroup() + "/" + kind.getVersion();
  }

  private io.fabric8.kubernetes.api.model.APIGroup group(String name) {
    List<String> versions = kinds.stream().filter(k -> k.getGroup().equals(name))
        .map(ResourceDefinitionContext::getVersion).distinct().toList();
    var discovered = versions.stream().map(v -> new GroupVersionForDiscoveryBuilder()
        .withGroupVersion(name + "/" + v).withVersion(v).build()).toList();
    return new APIGroupBuilder().withName(name).withVersions(discovered)
        .withPreferredVersion(discovered.get(0)).build();
  }

  /**
   * The mock server's CRUD dispatcher with discovery answered first; a watch that ends never
   * blocks the server's event loop ({@link OffLoopCloseCrudDispatcher}: with the stock one every
   * informer's periodic re-watch could stall a simulated cluster's API for up to 30 s).
   */
  static final class Dispatcher extends OffLoopCloseCrudDispatcher {
    private final Discovery discovery;

    Dispatcher(Discovery discovery) {
      this.discovery = discovery;
    }

    @Override
    public MockResponse handleGet(String path) {
      if (path.startsWith(OPENAPI_V2)) {
        return new MockResponse().setResponseCode(200).addHeader("Content-Type",
            OPENAPI_V2_TYPE).setBody(EMPTY_OPENAPI_V2);
      }
      String answer = discovery.answer(path);
      return answer == null ? super.handleGet(path) : new MockResponse().setResponseCode(200)
          .addHeader("Content-Type", "application/json").setBody(answer);
    }

    /**
     * A strategic merge patch (kubectl apply of an object that exists, kubectl edit) is applied
     * here to the stored object and handed on as the JSON patch from the stored object to the
     * result, which the mock server applies as it would any JSON patch (resourceVersion,
     * generation, watch events).
     */
    @Override
    public MockResponse handlePatch(io.fabric8.mockwebserver.http.RecordedRequest request) {
      String type = request.getHeader("Content-Type");
      if (type == null || !type.startsWith(STRATEGIC_MERGE_PATCH)) {
        return super.handlePatch(request);
      }
      var stored = findResource(getKey(request.getPath()));
      if (stored == null) {
        return super.handleGet(request.getPath()); // the mock server's 404, as for any patch
      }
      com.fasterxml.jackson.databind.JsonNode current;
      com.fasterxml.jackson.databind.JsonNode patch;
      try {
        current = Serialization.jsonMapper().readTree(stored.getValue());
        patch = Serialization.jsonMapper().readTree(request.getUtf8Body());
      } catch (java.io.IOException | RuntimeException e) {
        return new MockResponse().setResponseCode(400).addHeader("Content-Type",
            "application/json").setBody(Serialization.asJson(new io.fabric8.kubernetes.api
                .model.StatusBuilder().withStatus("Failure").withCode(400).withReason(
                    "BadRequest").withMessage("not a strategic merge patch: "
                    + Causes.of(e)).build()));
      }
      var jsonPatch = io.fabric8.zjsonpatch.JsonDiff.asJson(current,
          StrategicMergePatch.apply(current, patch));
      return super.handlePatch(new io.fabric8.mockwebserver.http.RecordedRequest(
          request.getHttpVersion(), request.method(), request.getPath(),
          request.getHeaders().newBuilder().set("Content-Type", "application/json-patch+json")
              .build(),
          new io.fabric8.mockwebserver.http.Buffer(Serialization.asJson(jsonPatch).getBytes(
              java.nio.charset.StandardCharsets.UTF_8))));
    }
  }
}
