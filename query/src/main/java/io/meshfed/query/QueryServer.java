package io.meshfed.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.rules.decision.DesiredConfig;
import io.meshfed.rules.model.Kind;
import io.meshfed.topology.RoutingKeys;
import io.meshfed.topology.state.ClientDecision;
import io.meshfed.topology.state.ClientDecisions;
import io.meshfed.topology.state.DecisionChunk;
import io.meshfed.topology.state.KnownCluster;
import io.meshfed.topology.state.Stores;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.meshfed.topology.faults.FaultLog;
import io.meshfed.topology.faults.PoisonRecords;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The REST API every topology instance serves ({@code /v1}, JSON). A key owned by another
 * instance is fetched from it, and every answer says which instance served it and whether it
 * came from a standby ({@code "stale": true}); with nobody to answer: 503 with Retry-After,
 * never a wrong 404. List endpoints gather from all instances.
 */
public final class QueryServer implements AutoCloseable {

  static final String FORWARDED = "X-Meshfed-Forwarded";
  private static final String AUTHORIZATION = "Authorization";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");

  private final KafkaStreams streams;
  private final StoreRouter router;
  private final Duration heartbeatTtl;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final PrometheusMeterRegistry metrics =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final KafkaStreamsMetrics streamsMetrics;
  private final Javalin app;
  private final String bindAddress;
  private final QueryAccess access;
  private final LiveFeed live;
  /** Set by {@link #withWhatIf}; without it {@code POST /v1/whatif} answers 404. */
  private volatile io.meshfed.whatif.WhatIf whatIf;
  /** One replay at a time per instance: each reads every events topic and runs a topology. */
  private final java.util.concurrent.Semaphore replaying = new java.util.concurrent.Semaphore(1);
  /** The dashboard's files, served as they are (no build step; see query/DESIGN.md). */
  private static final Map<String, String> DASHBOARD_FILES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "dashboard.js", "text/javascript; charset=utf-8",
      "dashboard.css", "text/css; charset=utf-8");

  /** Where the server listens unless told otherwise. */
  public static final String LOOPBACK = "127.0.0.1";

  /** Listens on 127.0.0.1 at {@code self}'s port; see the five-argument constructor. */
  public QueryServer(KafkaStreams streams, HostInfo self, Duration heartbeatTtl,
      QueryAccess access) {
    this(streams, self, LOOPBACK, heartbeatTtl, access);
  }

  /**
   * @param self this instance's advertised {@code host:port} (its
   *     {@code application.server}), what other instances forward to
   * @param bindAddress the address to listen on at {@code self}'s port: {@value #LOOPBACK}
   *     unless the operator chooses one, so an instance is not reachable from other machines by
   *     accident. Instances on several machines need an address the others can reach, e.g. the
   *     one {@code self} names.
   * @param access who may call; a request forwarded to another instance carries the caller's
   *     token, so every instance needs the same tokens
   */
  public QueryServer(KafkaStreams streams, HostInfo self, String bindAddress,
      Duration heartbeatTtl, QueryAccess access) {
    this.access = access;
    this.bindAddress = bindAddress;
    this.streams = streams;
    this.router = new StoreRouter(streams, self);
    this.heartbeatTtl = heartbeatTtl;
    this.streamsMetrics = new KafkaStreamsMetrics(streams);
    this.live = new LiveFeed("http://" + (bindAddress.equals("0.0.0.0") || bindAddress.equals("::")
        ? LOOPBACK : bindAddress) + ":" + self.port());
    streamsMetrics.bindTo(metrics);
    io.micrometer.core.instrument.FunctionCounter.builder("meshfed.poison.records.skipped",
        PoisonRecords.class, ignored -> PoisonRecords.skippedTotal())
        .description("records dead-lettered by the replay breaker after failing twice")
        .register(metrics);
    io.micrometer.core.instrument.Gauge.builder("meshfed.dead.letters",
        FaultLog.class, ignored -> FaultLog.deadLetters().values().stream()
            .mapToLong(Long::longValue).sum())
        .description("records sent to the dead-letter topic by this instance")
        .register(metrics);
    app = Javalin.create(config -> config.showJavalinBanner = false);
    app.exception(QueryException.class, (e, ctx) -> {
      if (e.retryAfterSeconds() != null) {
        ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
      }
      ctx.status(e.status()).json(Map.of("error", e.getMessage()));
    });
    // A store read while the instance starts or rebalances: the answer exists, just not yet.
    app.exception(org.apache.kafka.streams.errors.InvalidStateStoreException.class, (e, ctx) ->
        ctx.header("Retry-After", "1").status(503).json(Map.of("error",
            "the topology is not serving yet: " + e.getMessage())));
    app.beforeMatched(this::authorize);
    app.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
    app.get("/readyz", this::ready);
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4")
        .result(metrics.scrape()));
    app.get("/v1/openapi", ctx -> {
      try (InputStream doc = QueryServer.class.getResourceAsStream("/openapi.yaml")) {
        ctx.contentType("application/yaml").result(new String(doc.readAllBytes(),
            StandardCharsets.UTF_8));
      }
    });
    app.get("/v1/failover-services", ctx -> list(ctx, Kind.FailoverService));
    app.get("/v1/virtual-destinations", ctx -> list(ctx, Kind.VirtualDestination));
    app.get("/v1/failover-services/{namespace}/{name}",
        ctx -> one(ctx, Kind.FailoverService));
    app.get("/v1/virtual-destinations/{namespace}/{name}",
        ctx -> one(ctx, Kind.VirtualDestination));
    // Policies: their status names the destinations they select (issue #18).
    app.get("/v1/failover-policies", ctx -> list(ctx, Kind.FailoverPolicy));
    app.get("/v1/outlier-detection-policies", ctx -> list(ctx, Kind.OutlierDetectionPolicy));
    app.get("/v1/failover-policies/{namespace}/{name}", ctx -> one(ctx, Kind.FailoverPolicy));
    app.get("/v1/outlier-detection-policies/{namespace}/{name}",
        ctx -> one(ctx, Kind.OutlierDetectionPolicy));
    app.get("/v1/destinations/{kind}/{namespace}/{name}/clients/{cluster}", this::client);
    app.get("/v1/decisions", this::decisions);
    app.get("/v1/clusters", this::clusters);
    app.get("/v1/clusters/{name}", this::cluster);
    app.get("/v1/internal/statuses", ctx -> ctx.json(localStatuses()));
    app.post("/v1/whatif", this::whatIf);
    app.sse("/v1/live", live::accept);
    // Javalin ignores trailing slashes: this route is /dashboard/ too (the page's links are
    // absolute, so both work).
    app.get("/dashboard", ctx -> dashboardFile(ctx, "index.html"));
    app.get("/dashboard/{file}", ctx -> dashboardFile(ctx, ctx.pathParam("file")));
  }

  /**
   * Turns on {@code POST /v1/whatif}: replays with this topology's config (its broker, its
   * registry, its timers). Call before {@link #start}.
   */
  public QueryServer withWhatIf(io.meshfed.whatif.WhatIf whatIf) {
    this.whatIf = whatIf;
    return this;
  }

  private static void dashboardFile(Context ctx, String file) throws IOException {
    String type = DASHBOARD_FILES.get(file);
    if (type == null) {
      throw QueryException.notFound("no dashboard file " + file);
    }
    try (InputStream in = QueryServer.class.getResourceAsStream("/dashboard/" + file)) {
      ctx.contentType(type).header("Cache-Control", "no-cache").result(in.readAllBytes());
    }
  }

  /**
   * {@code POST /v1/whatif?from=..&to=..&flapWindow=..}, body: the proposed resources (YAML).
   * JSON back, or the table when the caller accepts text/plain.
   */
  private void whatIf(Context ctx) throws Exception {
    io.meshfed.whatif.WhatIf engine = whatIf;
    if (engine == null) {
      throw QueryException.notFound("what-if replay is not enabled on this instance");
    }
    Instant now = Instant.now();
    io.meshfed.whatif.WhatIf.Request request;
    try {
      String body = ctx.body();
      Instant from = io.meshfed.whatif.WhatIf.parseTime(required(ctx, "from"), now);
      String to = ctx.queryParam("to");
      String window = ctx.queryParam("flapWindow");
      request = new io.meshfed.whatif.WhatIf.Request(
          io.meshfed.whatif.ProposedPolicies.parse(body), from,
          to == null ? now : io.meshfed.whatif.WhatIf.parseTime(to, now),
          window == null ? Duration.ofMinutes(5)
              : Duration.between(io.meshfed.whatif.WhatIf.parseTime(window, now), now));
    } catch (IllegalArgumentException e) {
      throw QueryException.badRequest(e.getMessage());
    }
    if (!replaying.tryAcquire()) {
      throw new QueryException(429, "a what-if replay is already running on this instance;"
          + " try again when it has finished", 10);
    }
    io.meshfed.whatif.Report report;
    try {
      report = engine.run(request);
    } finally {
      replaying.release();
    }
    String accept = ctx.header("Accept");
    if (accept != null && accept.contains("text/plain")) {
      ctx.contentType("text/plain; charset=utf-8").result(report.table());
    } else {
      ctx.json(report.toJson());
    }
  }

  private static String required(Context ctx, String name) {
    String value = ctx.queryParam(name);
    if (value == null) {
      throw QueryException.badRequest("query parameter " + name + " is required");
    }
    return value;
  }

  /** Probes pass; {@code /metrics} needs ADMIN; every query needs READ. */
  private void authorize(Context ctx) {
    String path = ctx.path();
    if (path.equals("/healthz") || path.equals("/readyz")) {
      return;
    }
    // The dashboard's page and scripts hold no data: the page asks for a token and sends it
    // with every call it makes (to /v1/live and /v1/whatif), which are checked as any other.
    if (path.equals("/dashboard") || path.startsWith("/dashboard/")) {
      return;
    }
    QueryAccess.Role needed = path.equals("/metrics") ? QueryAccess.Role.ADMIN
        : QueryAccess.Role.READ;
    switch (access.check(ctx.header(AUTHORIZATION), needed)) {
      case ALLOW -> { }
      case UNAUTHENTICATED -> {
        ctx.header("WWW-Authenticate", "Bearer realm=\"meshfed\"");
        throw new QueryException(401, "a valid bearer token is required", null);
      }
      case FORBIDDEN -> throw new QueryException(403, path + " needs the "
          + needed.name().toLowerCase(java.util.Locale.ROOT) + " role", null);
    }
  }

  /** The caller's credentials, passed on with a request this instance makes on its behalf. */
  private static HttpRequest.Builder onBehalfOf(Context ctx, HttpRequest.Builder request) {
    String authorization = ctx.header(AUTHORIZATION);
    return authorization == null ? request : request.header(AUTHORIZATION, authorization);
  }

  public QueryServer start() {
    app.start(bindAddress, router.self().port());
    return this;
  }

  public int port() {
    return app.port();
  }

  private void ready(Context ctx) {
    boolean running = streams.state() == KafkaStreams.State.RUNNING;
    boolean queryable = false;
    if (running) {
      try {
        destinations().approximateNumEntries();
        queryable = true;
      } catch (RuntimeException notYet) {
        queryable = false;
      }
    }
    // A partition whose record keeps failing after processing (until the breaker skips it) is
    // named here, so an operator sees where the topology is stuck, not just that it is.
    List<Map<String, Object>> stuck = PoisonRecords.stuck().stream()
        .map(f -> Map.<String, Object>of("topic", f.topic(), "partition", f.partition(),
            "offset", f.offset(), "failures", f.count(), "reason", f.reason()))
        .toList();
    boolean ready = running && queryable && stuck.isEmpty();
    ctx.status(ready ? 200 : 503).json(Map.of("state", streams.state().name(),
        "storesQueryable", queryable, "stuckPartitions", stuck));
  }

  private ReadOnlyKeyValueStore<String, ControlEvent> destinations() {
    return specs(Kind.FailoverService);
  }

  /** The replicated store of a kind's specs: destinations or policies. */
  private ReadOnlyKeyValueStore<String, ControlEvent> specs(Kind kind) {
    return streams.store(StoreQueryParameters.fromNameAndType(
        kind.isDestination() ? Stores.DESTINATIONS : Stores.POLICIES,
        QueryableStoreTypes.keyValueStore()));
  }

  private void one(Context ctx, Kind kind) throws Exception {
    String key = kind + "/" + segment(ctx, "namespace") + "/" + segment(ctx, "name");
    StoreRouter.Location where = router.locate(Stores.STATUSES, key);
    if (forward(ctx, where)) {
      return;
    }
    ControlEvent control = specs(kind).get(key);
    if (control == null) {
      throw QueryException.notFound(kind + " " + key.substring(key.indexOf('/') + 1)
          + " not found");
    }
    StoreRouter.Read<PolicyStatus> status = router.readLocal(Stores.STATUSES,
        where.partition(), key);
    Map<String, Object> body = Views.destination(control, status.value().orElse(null));
    respond(ctx, body, status);
  }

  private void client(Context ctx) throws Exception {
    String kind = ctx.pathParam("kind");
    Kind parsed;
    try {
      parsed = Kind.valueOf(kind);
    } catch (IllegalArgumentException e) {
      throw QueryException.badRequest("path parameter kind '" + kind + "' is not FailoverService"
          + " or VirtualDestination");
    }
    String destination = parsed + "/" + segment(ctx, "namespace") + "/" + segment(ctx, "name");
    String cluster = segment(ctx, "cluster");
    StoreRouter.Location where = router.locate(Stores.DECISIONS, destination);
    if (forward(ctx, where)) {
      return;
    }
    StoreRouter.Read<ClientDecisions> state = router.readLocal(Stores.DECISIONS,
        where.partition(), destination);
    ClientDecision decision = state.value().map(all -> all.byClient().get(cluster)).orElse(null);
    // The client's record points at its destination's shared config, kept beside it in the
    // same task (written in the same transaction, so a record never points at a missing one).
    DesiredConfig shared = decision == null ? null : router.<DesiredConfig>readLocal(
        Stores.DECISION_CONFIGS, where.partition(),
        RoutingKeys.join(destination, Integer.toString(decision.config()))).value().orElse(null);
    if (shared == null) {
      throw QueryException.notFound("no config for client cluster " + cluster + " of "
          + destination);
    }
    respond(ctx, Views.client(destination, cluster, decision.state(cluster, shared)), state);
  }

  /** {@code ?destination=Kind/ns/name&limit=N}: the destination's latest decisions, newest first. */
  private void decisions(Context ctx) throws Exception {
    String destination = ctx.queryParam("destination");
    if (destination == null) {
      throw QueryException.badRequest("query parameter destination (Kind/namespace/name) is"
          + " required");
    }
    try {
      io.meshfed.rules.model.ResourceId.parse(destination);
    } catch (IllegalArgumentException e) {
      throw QueryException.badRequest("query parameter destination: " + e.getMessage());
    }
    int limit;
    try {
      limit = Integer.parseInt(java.util.Objects.requireNonNullElse(ctx.queryParam("limit"),
          "20"));
    } catch (NumberFormatException e) {
      throw QueryException.badRequest("query parameter limit '" + ctx.queryParam("limit")
          + "' is not a number");
    }
    if (limit < 1 || limit > Stores.DECISION_LOG_KEEP) {
      throw QueryException.badRequest("query parameter limit " + limit + " is outside 1-"
          + Stores.DECISION_LOG_KEEP);
    }
    StoreRouter.Location where = router.locate(Stores.DECISION_LOG, destination);
    if (forward(ctx, where)) {
      return;
    }
    StoreRouter.Read<List<DecisionChunk>> log = router.prefixLocal(
        Stores.DECISION_LOG, where.partition(), RoutingKeys.prefix(destination));
    // The history is chunks in ring slots per destination (see DecisionHistory): order by
    // epoch, not key.
    List<io.meshfed.avro.FailoverDecision> all = new ArrayList<>();
    log.value().orElse(List.of()).forEach(chunk -> all.addAll(chunk.decisions()));
    all.sort(java.util.Comparator.comparingLong(io.meshfed.avro.FailoverDecision::getEpoch));
    List<Map<String, Object>> items = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0 && items.size() < limit; i--) {
      items.add(Views.decision(all.get(i)));
    }
    respond(ctx, Map.of("destination", destination, "items", items), log);
  }

  private void clusters(Context ctx) {
    Instant now = Instant.now();
    Map<String, Object> byName = new java.util.TreeMap<>();
    router.<KnownCluster, KnownCluster>scanLocal(Stores.CLUSTERS, c -> c)
        .forEach(c -> byName.put(c.name(), Views.cluster(c, now, heartbeatTtl)));
    respond(ctx, Map.of("items", new ArrayList<>(byName.values())), false);
  }

  private void cluster(Context ctx) {
    String name = segment(ctx, "name");
    Instant now = Instant.now();
    Object found = router.<KnownCluster, KnownCluster>scanLocal(Stores.CLUSTERS, c -> c).stream()
        .filter(c -> c.name().equals(name)).findFirst()
        .map(c -> Views.cluster(c, now, heartbeatTtl))
        .orElseThrow(() -> QueryException.notFound("cluster " + name + " not found"));
    respond(ctx, found, false);
  }

  /** Destinations or policies of one kind with their statuses, gathered from every instance. */
  private void list(Context ctx, Kind kind) throws Exception {
    Map<String, Object> statuses = new HashMap<>(localStatuses());
    for (HostInfo other : router.instances()) {
      if (!router.isLocal(other)) {
        HttpResponse<String> response = http.send(onBehalfOf(ctx, HttpRequest.newBuilder(
            URI.create("http://" + other.host() + ":" + other.port() + "/v1/internal/statuses")))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          throw QueryException.unavailable("instance " + other + " answered "
              + response.statusCode());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> theirs = JSON.readValue(response.body(), Map.class);
        statuses.putAll(theirs);
      }
    }
    String namespace = ctx.queryParam("namespace");
    // Specs are replicated to every partition: one entry per key is kept.
    Map<String, Map<String, Object>> items = new java.util.TreeMap<>();
    try (var all = specs(kind).all()) {
      all.forEachRemaining(kv -> {
        if (kv.key.startsWith(kind + "/") && (namespace == null
            || kv.key.startsWith(kind + "/" + namespace + "/"))) {
          Map<String, Object> item = Views.destination(kv.value, null);
          Object status = statuses.get(kv.key);
          if (status != null) {
            item.put("status", status);
          }
          items.put(kv.key, item);
        }
      });
    }
    respond(ctx, Map.of("items", new ArrayList<>(items.values())), false);
  }

  private Map<String, Object> localStatuses() {
    Map<String, Object> out = new LinkedHashMap<>();
    router.<PolicyStatus, PolicyStatus>scanLocal(Stores.STATUSES, s -> s).forEach(s ->
        out.put(RoutingKeys.destination(s.getResource()), Views.status(s)));
    return out;
  }

  /** Sends the request on to the owning instance; true if it did. */
  private boolean forward(Context ctx, StoreRouter.Location where) throws IOException,
      InterruptedException {
    if (router.isLocal(where.active()) || ctx.header(FORWARDED) != null) {
      return false;
    }
    HostInfo owner = where.active();
    HttpResponse<String> response;
    try {
      response = http.send(onBehalfOf(ctx, HttpRequest.newBuilder(URI.create("http://"
          + owner.host() + ":" + owner.port() + ctx.path() + (ctx.queryString() == null ? ""
          : "?" + ctx.queryString())))).header(FORWARDED, router.self().toString())
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw QueryException.unavailable("owner " + owner + " of the key is unreachable: " + e);
    }
    response.headers().firstValue("Retry-After").ifPresent(v -> ctx.header("Retry-After", v));
    ctx.status(response.statusCode()).contentType("application/json").result(response.body());
    return true;
  }

  private void respond(Context ctx, Object body, StoreRouter.Read<?> read) {
    respond(ctx, body, read.stale(), read.lag());
  }

  private void respond(Context ctx, Object body, boolean stale) {
    respond(ctx, body, stale, 0);
  }

  /** Every answer says who served it and whether a standby did (then with its lag). */
  private void respond(Context ctx, Object body, boolean stale, long lag) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (body instanceof Map<?, ?> map) {
      map.forEach((k, v) -> out.put(String.valueOf(k), v));
    } else {
      out.put("value", body);
    }
    out.put("servedBy", router.self().host() + ":" + router.self().port());
    out.put("stale", stale);
    if (stale) {
      out.put("lag", lag);
    }
    ctx.json(out);
  }

  private static String segment(Context ctx, String name) {
    String value = ctx.pathParam(name);
    if (!NAME.matcher(value).matches()) {
      throw QueryException.badRequest("path parameter " + name + " '" + value
          + "' is not a valid Kubernetes name");
    }
    return value;
  }

  @Override
  public void close() {
    live.close();
    app.stop();
    streamsMetrics.close();
    metrics.close();
  }
}
