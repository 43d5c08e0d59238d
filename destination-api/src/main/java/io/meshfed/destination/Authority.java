package io.meshfed.destination;

import java.util.regex.Pattern;

/**
 * The {@code path} of a {@code GetDestination}: {@code host:port} of a federated destination,
 * for example {@code reviews-failover.bookinfo.global:9080}.
 *
 * <p>A host of the form {@code tier-N.<host>} names one failover tier of the destination; these
 * are the authorities {@code GetProfile} lists in {@code dst_overrides} when traffic is split
 * across tiers.
 */
public record Authority(String host, int port) {

  private static final Pattern DNS_NAME = Pattern.compile(
      "(?=.{1,253}$)[a-z0-9*]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");
  private static final Pattern TIER = Pattern.compile("tier-(\\d{1,3})\\.(.+)");

  /**
   * Parses a path; the message of the exception names what is wrong with it, quoting the input
   * at most {@link StatusMessages#MAX_QUOTED} chars at a time.
   */
  public static Authority parse(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("path is empty; expected host:port, e.g."
          + " reviews-failover.bookinfo.global:9080");
    }
    int colon = path.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("path " + StatusMessages.quote(path)
          + " has no port; expected host:port");
    }
    String host = path.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
    String portText = path.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("path " + StatusMessages.quote(path) + ": port "
          + StatusMessages.quote(portText) + " is not a number");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("path " + StatusMessages.quote(path) + ": port " + port
          + " is outside 1-65535");
    }
    if (!DNS_NAME.matcher(host).matches()) {
      throw new IllegalArgumentException("path " + StatusMessages.quote(path) + ": host "
          + StatusMessages.quote(host) + " is not a DNS name");
    }
    return new Authority(host, port);
  }

  /** The tier this authority names ({@code tier-N.<host>}), or -1 for the whole destination. */
  public int tier() {
    var m = TIER.matcher(host);
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** The destination's host without a {@code tier-N.} prefix. */
  public String destinationHost() {
    var m = TIER.matcher(host);
    return m.matches() ? m.group(2) : host;
  }

  /** The authority of one tier of this destination. */
  public Authority ofTier(int index) {
    return new Authority("tier-" + index + "." + destinationHost(), port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
