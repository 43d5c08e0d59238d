package io.meshfed.agent.publish;

import io.meshfed.avro.Condition;
import io.meshfed.avro.ConditionStatus;
import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.PolicyStatus;
import io.meshfed.avro.ResourceRef;
import io.meshfed.avro.ResourceState;
import java.time.Instant;
import java.util.List;

/**
 * The status of a meshfed resource the agent cannot publish because its record is larger than
 * Kafka takes: INVALID with one error, in the shape the topology's statuses have (so
 * {@code StatusDocument} writes it and the CRD's status schema holds), the Valid condition
 * False. The topology never sees such a resource, so nothing else would ever say why it does
 * nothing.
 */
final class OversizedPolicy {

  private OversizedPolicy() {}

  static PolicyStatus status(PolicyEvent policy, String error, Instant now) {
    return PolicyStatus.newBuilder()
        .setResource(new ResourceRef(policy.getKind(), policy.getNamespace(), policy.getName()))
        .setUid(policy.getUid())
        .setObservedGeneration(policy.getGeneration())
        .setState(ResourceState.INVALID)
        .setValidationErrors(List.of(error))
        .setConditions(List.of(Condition.newBuilder().setType("Valid")
            .setStatus(ConditionStatus.False).setReason("ValidationFailed").setMessage(error)
            .setObservedGeneration(policy.getGeneration()).setLastTransitionTime(now).build()))
        .setTime(now)
        .build();
  }
}
