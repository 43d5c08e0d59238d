package io.meshfed.rules.model;

/** A listening port as written in a spec; either field may be missing or out of range. */
public record PortSpec(Long number, String protocol) {}
