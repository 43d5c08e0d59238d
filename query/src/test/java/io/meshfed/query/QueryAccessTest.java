package io.meshfed.query;

import static io.meshfed.query.QueryAccess.Role.ADMIN;
import static io.meshfed.query.QueryAccess.Role.READ;
import static io.meshfed.query.QueryAccess.Verdict.ALLOW;
import static io.meshfed.query.QueryAccess.Verdict.FORBIDDEN;
import static io.meshfed.query.QueryAccess.Verdict.UNAUTHENTICATED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryAccessTest {

  private static final String READER = "reader-token-0123456789";
  private static final String OPERATOR = "operator-token-0123456789";

  private final QueryAccess tokens = QueryAccess.tokens(Map.of(READER, READ, OPERATOR, ADMIN));

  @Test
  void withTokensNobodyIsAnonymous() {
    assertThat(tokens.check(null, READ)).isEqualTo(UNAUTHENTICATED);
    assertThat(tokens.check("Basic dXNlcjpwYXNz", READ)).isEqualTo(UNAUTHENTICATED);
    assertThat(tokens.check("Bearer wrong-token-0123456789", READ)).isEqualTo(UNAUTHENTICATED);
  }

  @Test
  void readIsForQueriesAndAdminForEverything() {
    assertThat(tokens.check("Bearer " + READER, READ)).isEqualTo(ALLOW);
    assertThat(tokens.check("Bearer " + READER, ADMIN)).isEqualTo(FORBIDDEN);
    assertThat(tokens.check("Bearer " + OPERATOR, READ)).isEqualTo(ALLOW);
    assertThat(tokens.check("Bearer " + OPERATOR, ADMIN)).isEqualTo(ALLOW);
  }

  @Test
  void anonymousAccessOnlyWhenConfiguredAndOnlyItsRole() {
    QueryAccess open = QueryAccess.anonymous(READ);
    assertThat(open.check(null, READ)).isEqualTo(ALLOW);
    assertThat(open.check(null, ADMIN)).isEqualTo(FORBIDDEN);
    // A token that is presented must be valid, even where anonymous callers are let in.
    assertThat(open.check("Bearer wrong-token-0123456789", READ)).isEqualTo(UNAUTHENTICATED);
  }

  @Test
  void aTokensFileNamesTheBadLineNeverTheToken(@TempDir Path dir) throws Exception {
    Path good = dir.resolve("good");
    Files.writeString(good, "# operators\nadmin " + OPERATOR + "\n\nread " + READER + "\n");
    QueryAccess loaded = QueryAccess.load(good);
    assertThat(loaded.check("Bearer " + READER, ADMIN)).isEqualTo(FORBIDDEN);
    assertThat(loaded.check("Bearer " + OPERATOR, ADMIN)).isEqualTo(ALLOW);

    Path badRole = dir.resolve("bad-role");
    Files.writeString(badRole, "read " + READER + "\nwrite secret-token-0123456789\n");
    assertThatThrownBy(() -> QueryAccess.load(badRole))
        .hasMessage(badRole + " line 2: expected 'read TOKEN' or 'admin TOKEN' with a token of"
            + " at least 16 characters");
    Path shortToken = dir.resolve("tokens");
    Files.writeString(shortToken, "read tooshort\n");
    assertThatThrownBy(() -> QueryAccess.load(shortToken)).hasMessageContaining("line 1")
        .hasMessageNotContaining("tooshort");
    Path empty = dir.resolve("empty");
    Files.writeString(empty, "# nobody\n");
    assertThatThrownBy(() -> QueryAccess.load(empty)).hasMessageEndingWith("holds no tokens");
  }
}
