package io.meshfed.registry;

/**
 * A schema-registry call failed. The message names the operation, the subject or schema id
 * involved and the HTTP status with the registry's own error code and text.
 */
public class SchemaRegistryException extends RuntimeException {

  /** HTTP status of the failed call, or -1 when no response arrived. */
  private final int httpStatus;
  /** The registry's error code (Confluent {@code error_code}), or -1. */
  private final int errorCode;

  public SchemaRegistryException(String message, int httpStatus, int errorCode, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public int errorCode() {
    return errorCode;
  }

  /**
   * True when trying again may succeed: the registry answered 429 or 5xx, or no answer came for
   * a reason other than a timeout (connection refused or reset — a registry restarting). A
   * timeout has already waited the client's whole request timeout (see {@link #isTimeout}); a
   * 4xx is the request's own fault.
   */
  public boolean isTransient() {
    if (httpStatus == 429 || httpStatus / 100 == 5) {
      return true;
    }
    return httpStatus == -1 && getCause() instanceof java.io.IOException
        && !(getCause() instanceof java.net.http.HttpTimeoutException);
  }

  /**
   * True when no answer came within the client's request timeout. The client asks once more
   * after one: a registry has been seen to drop a request on a connection whose buffer its
   * HTTP server mishandled (Apicurio 3.3.3: Netty's "Failed to release a ByteBuf"), and the
   * request asked again, on a new connection, was answered at once.
   */
  public boolean isTimeout() {
    return httpStatus == -1 && getCause() instanceof java.net.http.HttpTimeoutException;
  }

  /** True when the registry said the subject, version or id does not exist. */
  public boolean isNotFound() {
    return httpStatus == 404;
  }
}
