package io.meshfed.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The policy table from the query API's JSON, without a stack (CliTest runs it against one). */
class GetCommandTest {

  @Test
  void aPolicyRowCountsItsDestinationsAndNamesTheFirstFew() throws Exception {
    var body = GetCommand.JSON.readTree("""
        {"items": [
          {"namespace": "global", "name": "wide", "status": {"state": "ACCEPTED",
            "numSelectedDestinations": 250, "selectedDestinations": ["VirtualDestination/a/a",
            "VirtualDestination/a/b", "VirtualDestination/a/c", "VirtualDestination/a/d"]}},
          {"namespace": "global", "name": "broken", "status": {"state": "INVALID",
            "validationErrors": ["spec.destinations is required"],
            "numSelectedDestinations": 0, "selectedDestinations": []}}]}
        """);
    String table = GetCommand.policyTable(body);
    assertThat(table.lines().findFirst().orElseThrow()).startsWith("NAMESPACE").contains(
        "SELECTED").contains("DESTINATIONS");
    assertThat(table).containsPattern("wide\\s+ACCEPTED\\s+250\\s+VirtualDestination/a/a,"
        + "VirtualDestination/a/b,VirtualDestination/a/c \\+247 more");
    assertThat(table).containsPattern("broken\\s+INVALID\\s+0\\s+spec.destinations is required");
  }
}
