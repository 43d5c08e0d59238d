package io.meshfed.destination;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.linkerd.proxy.destination.DestinationGrpc;
import io.linkerd.proxy.destination.DestinationProfile;
import io.linkerd.proxy.destination.GetDestination;
import io.linkerd.proxy.destination.Update;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code io.linkerd.proxy.destination.Destination}: each {@code Get} and {@code GetProfile} is a
 * subscription to the client cluster's destinations in the {@link DestinationIndex}; on every
 * change it recomputes its answer and sends what the planners say.
 */
public final class DestinationService extends DestinationGrpc.DestinationImplBase {

  private final DestinationIndex index;
  private final String defaultClientCluster;

  /**
   * @param defaultClientCluster the client cluster for lookups whose context token names none,
   *     or null to require one
   */
  public DestinationService(DestinationIndex index, String defaultClientCluster) {
    this.index = index;
    this.defaultClientCluster = defaultClientCluster;
  }

  @Override
  public void get(GetDestination request, StreamObserver<Update> responses) {
    Lookup lookup = lookup(request, responses);
    if (lookup == null) {
      return;
    }
    var told = new UpdatePlanner.Told[1];
    subscribe(lookup, responses, now -> {
      UpdatePlanner.Plan plan = UpdatePlanner.plan(told[0], now);
      told[0] = plan.told();
      plan.updates().forEach(responses::onNext);
    });
  }

  @Override
  public void getProfile(GetDestination request, StreamObserver<DestinationProfile> responses) {
    Lookup lookup = lookup(request, responses);
    if (lookup == null) {
      return;
    }
    var sent = new DestinationProfile[1];
    subscribe(lookup, responses, now -> {
      DestinationProfile profile = ProfilePlanner.profile(lookup.authority(), now);
      if (!profile.equals(sent[0])) {
        sent[0] = profile;
        responses.onNext(profile);
      }
    });
  }

  private record Lookup(Authority authority, ContextToken token) {}

  /**
   * Parses the request, or ends the call with INVALID_ARGUMENT naming the problem in at most
   * {@link StatusMessages#MAX_MESSAGE} chars.
   */
  private Lookup lookup(GetDestination request, StreamObserver<?> responses) {
    try {
      return new Lookup(Authority.parse(request.getPath()),
          ContextToken.parse(request.getContextToken(), defaultClientCluster));
    } catch (IllegalArgumentException e) {
      // Bounded whatever the parser wrote: the message travels in a trailer (see
      // StatusMessages).
      responses.onError(Status.INVALID_ARGUMENT
          .withDescription(StatusMessages.bound(e.getMessage())).asRuntimeException());
      return null;
    }
  }

  /**
   * Answers at once, then after every change of the client's destinations, until the client
   * cancels. Evaluations of one stream never overlap (gRPC observers are not thread-safe).
   */
  private void subscribe(Lookup lookup, StreamObserver<?> responses,
      Consumer<Optional<Resolution>> send) {
    Object lock = new Object();
    Supplier<Optional<Resolution>> resolve = () -> Resolution.of(lookup.authority(),
        index.destinations(lookup.token().cluster()));
    boolean[] closed = {false};
    Runnable evaluate = () -> {
      synchronized (lock) {
        if (!closed[0]) {
          send.accept(resolve.get());
        }
      }
    };
    Runnable unsubscribe = index.subscribe(lookup.token().cluster(), evaluate);
    ServerCallStreamObserver<?> call = (ServerCallStreamObserver<?>) responses;
    call.setOnCancelHandler(() -> {
      synchronized (lock) {
        closed[0] = true;
      }
      unsubscribe.run();
    });
    evaluate.run();
  }
}
