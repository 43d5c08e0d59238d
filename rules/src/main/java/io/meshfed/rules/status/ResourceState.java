package io.meshfed.rules.status;

/** Approval state of a resource, overall and per cluster. */
public enum ResourceState { PENDING, ACCEPTED, WARNING, INVALID, FAILED }
