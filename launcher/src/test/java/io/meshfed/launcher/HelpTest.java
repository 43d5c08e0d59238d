package io.meshfed.launcher;

import static io.meshfed.launcher.CliRun.meshfed;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --help} on every command, found by walking the command line itself, so a subcommand
 * added later is covered without touching this test; and commands whose options used to be
 * parsed by hand take them as every other command does.
 */
class HelpTest {

  /** Every command's words after {@code meshfed}, e.g. {@code [admin, add-cluster]}. */
  private static Set<List<String>> commands(CommandLine command, List<String> path) {
    Set<List<String>> all = new LinkedHashSet<>();
    all.add(path);
    // getSubcommands() lists a command once per alias: the set keeps one path per command.
    for (CommandLine sub : command.getSubcommands().values()) {
      List<String> subPath = new ArrayList<>(path);
      subPath.add(sub.getCommandName());
      all.addAll(commands(sub, subPath));
    }
    return all;
  }

  @Test
  void everyCommandPrintsItsUsageAndExitsZero() {
    Set<List<String>> commands = commands(Main.commandLine(), List.of());
    // Not vacuous: the walk reaches nested commands and the benchmark.
    assertThat(commands).contains(List.of("admin", "add-cluster"), List.of("bench"),
        List.of("agent"), List.of("up")).hasSizeGreaterThanOrEqualTo(15);
    for (List<String> command : commands) {
      for (String help : List.of("--help", "-h")) {
        List<String> args = new ArrayList<>(command);
        args.add(help);
        CliRun run = meshfed(args.toArray(String[]::new));
        String name = String.join(" ", List.of("meshfed", String.join(" ", command))).trim();
        assertThat(run.exit()).as("%s %s: %s", name, help, run.err()).isZero();
        assertThat(run.out()).as("%s %s", name, help).startsWith("Usage: " + name);
        assertThat(run.out()).as(name).contains("Exit codes");
      }
    }
  }

  @Test
  void benchHelpStartsNoBenchmarkAndABadSectionIsAUsageError() {
    CliRun help = meshfed("bench", "--help");
    assertThat(help.out()).contains("--quick").contains("zone-outage");
    CliRun typo = meshfed("bench", "--only", "latncy");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err()).contains("unknown section(s) [latncy]");
    assertThat(meshfed("bench", "--quik").exit()).isEqualTo(2);
  }

  @Test
  void chaosHelpStartsNothingAndABadClassOrSizeIsAUsageError() {
    CliRun help = meshfed("chaos", "--help");
    assertThat(help.out()).contains("--quick").contains("topology-kill").contains("--kills")
        .contains("broker-restart").contains("network").contains("--partitions")
        .contains("bad-resources").contains("--bad-resources").contains("--cli-files")
        .contains("--scale-cycles").contains("api-faults").contains("--api-faults")
        .contains("agent-restart").contains("--agent-restarts").contains("--agent-away");
    CliRun typo = meshfed("chaos", "--only", "bad-inptu");
    assertThat(typo.exit()).isEqualTo(2);
    assertThat(typo.err()).contains("unknown fault class(es) [bad-inptu]");
    assertThat(meshfed("chaos", "--instances", "1").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--kills", "x").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--partitions", "30,0").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--broker-restarts", "0").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--bad-resources", "0").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--cli-files", "-1").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--scale-cycles", "-1").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--api-faults", "0").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--agent-restarts", "0").exit()).isEqualTo(2);
    assertThat(meshfed("chaos", "--agent-away", "0").exit()).isEqualTo(2);
  }

  @Test
  void agentTakesItsOptionsLikeEveryOtherCommand() {
    CliRun run = meshfed("agent", "--cluster", "east-1");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).startsWith("Missing required option: '--config=FILE'");
    assertThat(meshfed("agent", "--cluster", "east-1", "--config", "a.properties", "--bogus")
        .err()).contains("Unknown option: '--bogus'");
  }
}
