package io.meshfed.query;

/** An answer other than 200, with the HTTP status and a message naming the problem. */
public final class QueryException extends RuntimeException {

  private final int status;
  private final Integer retryAfterSeconds;

  public QueryException(int status, String message, Integer retryAfterSeconds) {
    super(message);
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static QueryException notFound(String message) {
    return new QueryException(404, message, null);
  }

  public static QueryException badRequest(String message) {
    return new QueryException(400, message, null);
  }

  public static QueryException unavailable(String message) {
    return new QueryException(503, message, 1);
  }

  public int status() {
    return status;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
