package io.meshfed.rules.model;

/** One port of a backing service; {@code name} may be null. */
public record ServicePort(String name, int number, String protocol) {}
