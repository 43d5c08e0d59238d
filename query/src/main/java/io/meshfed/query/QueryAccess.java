package io.meshfed.query;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who may call the query API: bearer tokens, each with a role, and optionally a role for
 * callers without one. Nobody is let in anonymously unless {@link #anonymous} says so.
 *
 * <p>Roles: {@link Role#READ} for the queries ({@code /v1/...}); {@link Role#ADMIN} for that and
 * the operator's endpoints — today {@code /metrics}, whose figures name topics, clusters and
 * client ids. {@code /healthz} and {@code /readyz} need no token: a kubelet probes them.
 *
 * <p>Only SHA-256 digests of the tokens are kept, compared with {@link MessageDigest#isEqual}.
 */
public final class QueryAccess {

  public enum Role { READ, ADMIN }

  /** What a request may do: pass, or answer 401 (who are you?) or 403 (not allowed). */
  public enum Verdict { ALLOW, UNAUTHENTICATED, FORBIDDEN }

  private static final String BEARER = "Bearer ";

  private final Map<String, Role> roleByDigest;
  private final Role anonymous;

  private QueryAccess(Map<String, Role> roleByDigest, Role anonymous) {
    this.roleByDigest = Map.copyOf(roleByDigest);
    this.anonymous = anonymous;
  }

  /** Anyone, with or without a token, has {@code role}: for a stack on 127.0.0.1 only. */
  public static QueryAccess anonymous(Role role) {
    return new QueryAccess(Map.of(), role);
  }

  /** Only holders of these tokens. */
  public static QueryAccess tokens(Map<String, Role> roleByToken) {
    Map<String, Role> byDigest = new HashMap<>();
    roleByToken.forEach((token, role) -> byDigest.put(digest(token), role));
    return new QueryAccess(byDigest, null);
  }

  /**
   * Reads a tokens file: one {@code ROLE TOKEN} per line ({@code read} or {@code admin}, then
   * the token), blank lines and {@code #} comments ignored. An error names the line, never the
   * token.
   */
  public static QueryAccess load(Path file) throws IOException {
    Map<String, Role> roleByToken = new HashMap<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split("\\s+");
      Optional<Role> role = fields.length == 2 ? parseRole(fields[0]) : Optional.empty();
      if (role.isEmpty() || fields[1].length() < 16) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected 'read TOKEN'"
            + " or 'admin TOKEN' with a token of at least 16 characters");
      }
      roleByToken.put(fields[1], role.get());
    }
    if (roleByToken.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no tokens");
    }
    return tokens(roleByToken);
  }

  /** The verdict on a request carrying {@code authorization} (may be null) needing {@code needed}. */
  public Verdict check(String authorization, Role needed) {
    Role role = anonymous;
    if (authorization != null && authorization.startsWith(BEARER)) {
      role = roleOf(authorization.substring(BEARER.length()).strip());
      if (role == null) {
        return Verdict.UNAUTHENTICATED;
      }
    }
    if (role == null) {
      return Verdict.UNAUTHENTICATED;
    }
    return role == Role.ADMIN || role == needed ? Verdict.ALLOW : Verdict.FORBIDDEN;
  }

  private Role roleOf(String token) {
    byte[] presented = digest(token).getBytes(StandardCharsets.US_ASCII);
    Role found = null;
    // Every entry is compared, so the time taken does not say how close a guess was.
    for (Map.Entry<String, Role> e : roleByDigest.entrySet()) {
      if (MessageDigest.isEqual(presented, e.getKey().getBytes(StandardCharsets.US_ASCII))) {
        found = e.getValue();
      }
    }
    return found;
  }

  private static Optional<Role> parseRole(String name) {
    return switch (name) {
      case "read" -> Optional.of(Role.READ);
      case "admin" -> Optional.of(Role.ADMIN);
      default -> Optional.empty();
    };
  }

  private static String digest(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
