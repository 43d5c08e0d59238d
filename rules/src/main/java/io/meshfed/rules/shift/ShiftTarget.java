package io.meshfed.rules.shift;

/**
 * A FailoverService as its config reaches this cluster: present only when it is valid and
 * visible here.
 *
 * @param hostname the FailoverService's hostname
 * @param port its port number
 * @param protocol its protocol, upper-case
 */
public record ShiftTarget(String hostname, long port, String protocol) {}
