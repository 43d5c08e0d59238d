package io.meshfed.topology.decide;

import io.meshfed.avro.PolicyEvent;
import io.meshfed.avro.internal.ControlEvent;
import io.meshfed.rules.model.Resource;
import io.meshfed.rules.validation.Findings;
import io.meshfed.rules.validation.Validator;
import java.time.Instant;

/**
 * A destination as evaluation needs it: decoded, mapped and validated once when it arrives (or
 * when the task starts), not on each of the evaluations a health event triggers.
 *
 * @param seenAt when this task first saw this generation; restored from the store it is the
 *     resource's creation time, so a restart does not hold decisions it already made
 */
record ParsedDestination(ControlEvent control, PolicyEvent event,
    Resource.Destination resource, Findings specFindings, Instant seenAt) {

  static ParsedDestination of(ControlEvent control, Instant seenAt) {
    PolicyEvent event = (PolicyEvent) control.getEvent();
    Resource.Destination resource = (Resource.Destination) AvroMapping.resource(event);
    return new ParsedDestination(control, event, resource, Validator.validate(resource), seenAt);
  }

  boolean sameGeneration(PolicyEvent other) {
    return event.getGeneration() == other.getGeneration() && event.getUid().equals(other.getUid());
  }
}
