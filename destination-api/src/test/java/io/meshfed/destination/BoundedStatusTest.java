package io.meshfed.destination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.linkerd.proxy.destination.DestinationGrpc;
import io.linkerd.proxy.destination.GetDestination;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Status messages stay short whatever a client sends. A real Netty server and a grpc-java
 * client with its default limits (8 KiB of headers and trailers): a status message echoing a
 * 100 KB path would arrive as a protocol error, not as the INVALID_ARGUMENT it is. No Kafka is
 * needed — malformed requests are answered before any lookup.
 */
class BoundedStatusTest {

  private static final int HUGE = 100_000;

  private static Server server;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new DestinationService(new DestinationIndex(), "mgmt-cluster")).build()
        .start();
    // Default limits on purpose: nothing raised to make room for long messages.
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private static GetDestination request(String path, String token) {
    return GetDestination.newBuilder().setScheme("k8s").setPath(path).setContextToken(token)
        .build();
  }

  @Test
  void aHundredKilobytePathIsInvalidArgumentWithAShortMessageOnGetAndGetProfile() {
    var blocking = DestinationGrpc.newBlockingStub(channel);
    List<Function<GetDestination, Object>> rpcs = List.of(
        r -> blocking.get(r).next(), r -> blocking.getProfile(r).next());
    for (String path : List.of("a".repeat(HUGE) + ":80", "a".repeat(HUGE),
        "reviews.global:" + "9".repeat(HUGE), "reviews.global:" + "x".repeat(HUGE))) {
      for (var rpc : rpcs) {
        assertThatThrownBy(() -> rpc.apply(request(path, "")))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).as("status of a %d-char path",
                  path.length()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              String message = e.getStatus().getDescription();
              assertThat(message).hasSizeLessThanOrEqualTo(StatusMessages.MAX_MESSAGE)
                  .startsWith("path '")
                  .contains("(" + path.length() + " chars)");
            });
      }
    }
  }

  @Test
  void aHundredKilobyteContextTokenIsInvalidArgumentWithAShortMessage() {
    var blocking = DestinationGrpc.newBlockingStub(channel);
    for (String token : List.of("{\"cluster\":\"" + "x".repeat(HUGE) + "\"}",
        "{\"cluster\":" + "x".repeat(HUGE) + "}", "[" + "1,".repeat(HUGE / 2) + "]")) {
      assertThatThrownBy(() -> blocking.getProfile(request("reviews.global:80", token)).next())
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).startsWith("context_token")
                .hasSizeLessThanOrEqualTo(StatusMessages.MAX_MESSAGE);
          });
    }
  }
}
