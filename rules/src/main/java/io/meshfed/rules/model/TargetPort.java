package io.meshfed.rules.model;

/** A backing-service port selected by number or by name (exactly one should be set). */
public record TargetPort(Long number, String name) {}
