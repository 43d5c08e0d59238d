package io.meshfed.rules.model;

/** A VirtualDestination port; {@code targetPort} null means "the same number on the backends". */
public record PortMapping(Long number, String protocol, TargetPort targetPort) {}
