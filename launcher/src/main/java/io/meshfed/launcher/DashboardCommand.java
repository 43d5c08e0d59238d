package io.meshfed.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code meshfed dashboard}: the address of the query API's dashboard, with the read token of
 * the stack in {@code --dir} in the URL's fragment — a fragment stays in the browser (it is
 * never sent to the server or written to its logs); the page keeps it in the tab's session.
 */
@Command(name = "dashboard", description = "Print the URL of the live dashboard (clusters,"
    + " destinations, decisions, what-if), with the stack's read token for the page.")
public final class DashboardCommand implements Callable<Integer> {

  @picocli.CommandLine.Mixin
  StackOptions.QueryOptions query = new StackOptions.QueryOptions();

  @Override
  public Integer call() {
    try {
      StackOptions.Endpoint server = query.queryApi();
      StackOptions.Token token = query.token(server);
      System.out.println(server.address() + "/dashboard/"
          + (token == null ? "" : "#token=" + token.value()));
      return 0;
    } catch (StackOptions.StackUnreachable e) {
      System.err.println("meshfed dashboard: " + e.getMessage());
      return 3;
    }
  }
}
