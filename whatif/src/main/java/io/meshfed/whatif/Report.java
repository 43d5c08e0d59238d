package io.meshfed.whatif;

import io.meshfed.avro.FailoverDecision;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a replay found: per destination and client cluster, the moves made (read from
 * {@code meshfed.failover-events}) next to the moves the proposal would have made. As JSON
 * ({@link #toJson}) and as the table {@code meshfed whatif} prints ({@link #table}).
 */
public final class Report {

  /** Timelines kept; beyond it pairs are counted only (bounded memory on a large fleet). */
  static final int MAX_PAIRS = 10_000;
  /** Rows of moves the table prints per pair; the JSON has them all (up to MAX_MOVES). */
  static final int TABLE_ROWS = 40;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private final Instant from;
  private final Instant to;
  private final Duration flapWindow;
  private final List<String> proposed;
  private final Map<String, Timeline> made = new TreeMap<>();
  private final Map<String, Timeline> wouldMake = new TreeMap<>();
  private boolean pairsTruncated;
  /** Records read and replayed, counting the routine heartbeats left out (RoutineHeartbeats). */
  long replayedRecords;
  long heartbeatsLeftOut;
  /** The replay driver's clock moves (each a punctuation and a commit); for the benchmark. */
  long clockMoves;
  long replayMillis;

  Report(Instant from, Instant to, Duration flapWindow, List<String> proposed) {
    this.from = from;
    this.to = to;
    this.flapWindow = flapWindow;
    this.proposed = List.copyOf(proposed);
  }

  void made(FailoverDecision d) {
    add(made, d);
  }

  void wouldMake(FailoverDecision d) {
    add(wouldMake, d);
  }

  private void add(Map<String, Timeline> side, FailoverDecision d) {
    if (d.getTime().isAfter(to)) {
      return;
    }
    String key = key(d);
    Timeline t = side.get(key);
    if (t == null) {
      if (made.size() + wouldMake.size() >= 2 * MAX_PAIRS) {
        pairsTruncated = true;
        return;
      }
      t = new Timeline(from, flapWindow);
      side.put(key, t);
    }
    t.accept(d);
  }

  private static String key(FailoverDecision d) {
    return d.getDestination().getKind() + "/" + d.getDestination().getNamespace() + "/"
        + d.getDestination().getName() + " " + d.getClientCluster();
  }

  /** Pairs in which either side moved traffic after {@code from}. */
  private List<String> pairs() {
    TreeSet<String> keys = new TreeSet<>();
    made.forEach((k, t) -> {
      if (t.decisions > 0) {
        keys.add(k);
      }
    });
    wouldMake.forEach((k, t) -> {
      if (t.decisions > 0) {
        keys.add(k);
      }
    });
    return new ArrayList<>(keys);
  }

  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("from", from.toString());
    out.put("to", to.toString());
    out.put("proposed", proposed);
    out.put("flapWindowSeconds", flapWindow.toMillis() / 1000.0);
    out.put("replayedRecords", replayedRecords);
    out.put("routineHeartbeatsLeftOut", heartbeatsLeftOut);
    out.put("replaySeconds", replayMillis / 1000.0);
    List<Map<String, Object>> items = new ArrayList<>();
    long madeFlaps = 0;
    long proposedFlaps = 0;
    for (String pair : pairs()) {
      Map<String, Object> item = new LinkedHashMap<>();
      item.put("destination", pair.substring(0, pair.indexOf(' ')));
      item.put("clientCluster", pair.substring(pair.indexOf(' ') + 1));
      Timeline m = made.get(pair);
      Timeline p = wouldMake.get(pair);
      item.put("made", side(m));
      item.put("proposed", side(p));
      madeFlaps += m == null ? 0 : m.flaps;
      proposedFlaps += p == null ? 0 : p.flaps;
      items.add(item);
    }
    out.put("totals", Map.of("made", Map.of("flaps", madeFlaps), "proposed",
        Map.of("flaps", proposedFlaps)));
    out.put("items", items);
    out.put("truncated", pairsTruncated);
    return out;
  }

  private Map<String, Object> side(Timeline t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("decisions", t == null ? 0 : t.decisions);
    out.put("moves", t == null ? 0 : t.moveCount);
    out.put("flaps", t == null ? 0 : t.flaps);
    List<Map<String, Object>> moves = new ArrayList<>();
    if (t != null) {
      for (int i = 0; i < t.moves().size(); i++) {
        Timeline.Move move = t.moves().get(i);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("time", move.time().toString());
        row.put("fromTier", move.from() == -2 ? null : move.from());
        row.put("toTier", move.to());
        Duration held = t.held(i);
        row.put("heldSeconds", (held != null ? held : Duration.between(move.time(), to))
            .toMillis() / 1000.0);
        row.put("heldToEnd", held == null);
        row.put("flap", t.flapped(i));
        row.put("reasonCode", move.reasonCode());
        row.put("reason", move.reason());
        moves.add(row);
      }
    }
    out.put("changes", moves);
    out.put("truncated", t != null && t.truncated);
    return out;
  }

  /** The report as {@code meshfed whatif} prints it. */
  public String table() {
    StringBuilder out = new StringBuilder();
    out.append("what-if ").append(TIME.format(from)).append(" .. ").append(TIME.format(to))
        .append(" UTC, proposed: ").append(String.join(", ", proposed))
        .append(String.format(" (replayed %,d records, %,d of them routine heartbeats left out,"
            + " in %.1f s; a flap is a failback undone within %s)%n%n", replayedRecords,
            heartbeatsLeftOut, replayMillis / 1000.0, human(flapWindow)));
    List<String> pairs = pairs();
    if (pairs.isEmpty()) {
      return out.append("no decisions in this window, made or proposed\n").toString();
    }
    int width = Math.max(11, pairs.stream().mapToInt(p -> p.indexOf(' ')).max().orElse(0));
    int clientWidth = Math.max(6, pairs.stream().mapToInt(p -> p.length() - p.indexOf(' ') - 1)
        .max().orElse(0));
    String row = "%-" + width + "s  %-" + clientWidth + "s  %11s  %10s  %15s  %14s%n";
    out.append(String.format(row, "DESTINATION", "CLIENT", "MADE: MOVES", "MADE FLAPS",
        "PROPOSED: MOVES", "PROPOSED FLAPS"));
    for (String pair : pairs) {
      Timeline m = made.get(pair);
      Timeline p = wouldMake.get(pair);
      out.append(String.format(row, pair.substring(0, pair.indexOf(' ')),
          pair.substring(pair.indexOf(' ') + 1), m == null ? 0 : m.moveCount,
          m == null ? 0 : m.flaps, p == null ? 0 : p.moveCount, p == null ? 0 : p.flaps));
    }
    for (String pair : pairs) {
      out.append('\n').append(pair.replace(" ", " for client ")).append(":\n");
      // One row per moment either side moved traffic, in time order.
      TreeMap<Instant, String[]> rows = new TreeMap<>();
      fill(rows, made.get(pair), 0);
      fill(rows, wouldMake.get(pair), 1);
      String line = "  %-23s  %-32s  %-32s%n";
      out.append(String.format(line, "TIME (UTC)", "MADE", "PROPOSED"));
      int printed = 0;
      for (Map.Entry<Instant, String[]> r : rows.entrySet()) {
        if (printed++ == TABLE_ROWS) {
          out.append(String.format("  ... %d more rows (-o json has them all)%n",
              rows.size() - TABLE_ROWS));
          break;
        }
        out.append(String.format(line, TIME.format(r.getKey()),
            r.getValue()[0] == null ? "" : r.getValue()[0],
            r.getValue()[1] == null ? "" : r.getValue()[1]));
      }
    }
    if (pairsTruncated) {
      out.append("\n(more than ").append(MAX_PAIRS).append(" destination/client pairs: the"
          + " rest were not followed)\n");
    }
    return out.toString();
  }

  private void fill(TreeMap<Instant, String[]> rows, Timeline t, int column) {
    if (t == null) {
      return;
    }
    for (int i = 0; i < t.moves().size(); i++) {
      Timeline.Move move = t.moves().get(i);
      Duration held = t.held(i);
      String text = (move.from() == -2 ? "placed on " + tier(move.to())
          : tier(move.from()) + " -> " + tier(move.to()))
          + ", held " + (held == null ? human(Duration.between(move.time(), to)) + "+"
          : human(held)) + (t.flapped(i) ? " FLAP" : "");
      rows.computeIfAbsent(move.time(), k -> new String[2])[column] = text;
    }
  }

  private static String tier(int tier) {
    return tier < 0 ? "none" : "tier " + tier;
  }

  static String human(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 1000) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s < 60) {
      return (ms % 1000 == 0 ? s + "" : String.format("%.1f", ms / 1000.0)) + "s";
    }
    if (s < 3600) {
      return s / 60 + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
    }
    return s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : s % 3600 / 60 + "m");
  }
}
